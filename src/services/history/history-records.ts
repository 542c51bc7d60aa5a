import { createHash } from 'node:crypto';
import type { MessageRole } from '../../domain/message.model.js';

export const HISTORY_FORMATS = ['claude-code', 'jsonl', 'markdown'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

/** One message read from a history file, before validation (the message schema checks it like any other input). */
export interface HistoryMessage {
  /** Idempotency key: the same line imported again is the same key, so it is not stored twice. */
  key: string;
  role: MessageRole;
  content: string;
  createdAt?: string;
  metadata: Record<string, unknown>;
}

/** What a file says about its session; the first value seen wins. */
export interface SessionFacts {
  /** The source's own id of the session (Claude Code `sessionId`). */
  sourceId?: string;
  /** A title the file gives (Claude Code `summary`, Markdown `# Title`). */
  title?: string;
  cwd?: string;
  gitBranch?: string;
}

/** What one physical line yields: messages (zero, one, or — Markdown, at the next heading — the one it ended). */
export interface ReadResult {
  messages: Array<{ line: number; message: HistoryMessage }>;
  facts?: SessionFacts;
  /** The line carried nothing to store (a summary, a snapshot, a meta line, a heading's text). */
  skipped?: boolean;
}

/**
 * Reads one format line by line. Stateful where a message spans lines (Markdown); `end` flushes what is pending.
 * A line that cannot be read throws a LineError (transfer/import-records) naming the field.
 */
export interface HistoryReader {
  read(text: string, line: number): ReadResult;
  end(): ReadResult;
}

/** Bounds on rendered text, so one tool result cannot crowd out the conversation. */
export interface RenderLimits {
  /** Longest message content (`limits.messageContentChars`). */
  messageChars: number;
  /** Longest rendering of one tool call's input or one tool result. (Default: 4,000) */
  toolChars: number;
}

/** NUL, and a UTF-16 surrogate without its other half. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is replaced
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` as storable text, cut to `max` characters, saying how much was left out. Transcripts hold what tools
 * printed: a NUL or a broken UTF-16 pair (which the input rule refuses, see core/validate.ts) becomes U+FFFD here
 * rather than costing the whole message; a cut never splits a surrogate pair.
 */
export function clip(raw: string, max: number): string {
  const text = raw.replace(UNSTORABLE, '\uFFFD');
  if (text.length <= max) return text;
  const note = (omitted: number) => `… [${omitted} more characters]`;
  // The note's length depends on the count it states: settle the kept length until it fits exactly.
  let keep = Math.max(0, max - note(text.length).length);
  while (keep + 1 + note(text.length - keep - 1).length <= max) keep++;
  if (keep > 0 && isHighSurrogate(text.charCodeAt(keep - 1))) keep--;
  return `${text.slice(0, keep)}${note(text.length - keep)}`;
}

/** A short stable digest, for keys and ids made from content. */
export function digest(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex').slice(0, 16);
}

/** A project name from a working directory: its last segment, characters a project may not hold made dashes. */
export function projectFromCwd(cwd: string | undefined): string | undefined {
  const base = cwd
    ?.split(/[\\/]/)
    .filter((s) => s !== '')
    .pop();
  const project = base
    ?.replace(/[^\w.\-@:]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 200);
  return project ? project : undefined;
}

/** A session name from a message: its first non-blank line, at most 120 characters. */
export function nameFrom(text: string): string | undefined {
  const first = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  return first ? clip(first, 120) : undefined;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
