import { MESSAGE_ROLES, type MessageRole } from '../../domain/message.model.js';
import { LineError, parseLine } from '../transfer/import-records.js';
import { clip, digest, type HistoryMessage, type HistoryReader, type RenderLimits } from './history-records.js';

/**
 * A message's key when the file gives no id: its position among the file's messages and a digest of what it says.
 * Appending to a file keeps the keys of what was there, so importing the grown file adds only the new messages.
 */
function positionalKey(format: string, ordinal: number, role: string, content: string, time = ''): string {
  return `${format}:${ordinal}:${digest(role, content, time)}`;
}

function roleOf(value: unknown, field: string): MessageRole {
  const role = typeof value === 'string' ? value.toLowerCase() : value;
  if (!MESSAGE_ROLES.includes(role as MessageRole))
    throw new LineError(`${field}: must be one of ${MESSAGE_ROLES.join(', ')}`);
  return role as MessageRole;
}

/**
 * Generic JSON lines: `{"role", "content", "timestamp"?, "id"?}` per line (`createdAt` is accepted for
 * `timestamp`). `id`, when given, is the key; otherwise the position and content make it.
 */
export function jsonlChatReader(limits: RenderLimits): HistoryReader {
  let ordinal = 0;
  return {
    read(text, line) {
      if (text.trim() === '') return { messages: [] };
      const value = parseLine(text) as Record<string, unknown>;
      const role = roleOf(value.role, 'role');
      if (typeof value.content !== 'string') throw new LineError('content: is required (a string)');
      const time = value.timestamp ?? value.createdAt;
      if (time !== undefined && typeof time !== 'string') throw new LineError('timestamp: must be an ISO 8601 string');
      if (value.id !== undefined && (typeof value.id !== 'string' || value.id === '')) {
        throw new LineError('id: must be a non-empty string');
      }
      ordinal++;
      const message: HistoryMessage = {
        key:
          typeof value.id === 'string'
            ? `jsonl:${value.id}`
            : positionalKey('jsonl', ordinal, role, value.content, time),
        role,
        content: clip(value.content, limits.messageChars),
        ...(time === undefined ? {} : { createdAt: time }),
        metadata: { source: 'jsonl' },
      };
      return { messages: [{ line, message }] };
    },
    end: () => ({ messages: [] }),
  };
}

/** `## user`, `## Assistant (2025-10-03T09:00:00Z)`: a message heading, optionally with its time in parentheses. */
const HEADING = /^##[ \t]+([A-Za-z]+)[ \t]*(?:\(([^)]*)\))?[ \t]*$/;
const TITLE = /^#[ \t]+(.+?)[ \t]*$/;
const FENCE = /^[ \t]{0,3}(`{3,}|~{3,})/;

/**
 * Markdown chats: `## <role>` headings (user, assistant, system, tool; any case), each optionally followed by
 * `(<ISO 8601 time>)`, start a message; its content is every line up to the next such heading, without the blank
 * lines around it (a heading with nothing under it is skipped). Headings inside fenced code blocks and `##` headings naming no role are content. A `# Title`
 * before the first message names the session; other text before it is skipped.
 */
export function markdownChatReader(limits: RenderLimits): HistoryReader {
  let ordinal = 0;
  let fence: string | undefined;
  let open: { line: number; role: MessageRole; time?: string; lines: string[] } | undefined;
  let titled = false;

  const close = (): ReturnType<HistoryReader['end']> => {
    const current = open;
    open = undefined;
    if (!current) return { messages: [] };
    const content = current.lines
      .join('\n')
      .replace(/^\s*\n/, '')
      .trimEnd();
    // A heading with nothing under it says nothing to store.
    if (content.trim() === '') return { messages: [], skipped: true };
    ordinal++;
    const message: HistoryMessage = {
      key: positionalKey('markdown', ordinal, current.role, content, current.time),
      role: current.role,
      content: clip(content, limits.messageChars),
      ...(current.time === undefined ? {} : { createdAt: current.time }),
      metadata: { source: 'markdown' },
    };
    return { messages: [{ line: current.line, message }] };
  };

  return {
    read(text, line) {
      const fenceMark = FENCE.exec(text)?.[1];
      if (fenceMark) {
        if (fence === undefined) fence = fenceMark[0];
        else if (fenceMark[0] === fence) fence = undefined;
      }
      const heading = fence === undefined && !fenceMark ? HEADING.exec(text) : null;
      const role = heading?.[1]?.toLowerCase();
      if (heading && MESSAGE_ROLES.includes(role as MessageRole)) {
        const done = close();
        const time = heading[2]?.trim();
        open = { line, role: role as MessageRole, ...(time ? { time } : {}), lines: [] };
        return done;
      }
      if (open) {
        open.lines.push(text);
        return { messages: [] };
      }
      const title = TITLE.exec(text)?.[1];
      if (title && !titled) {
        titled = true;
        return { messages: [], facts: { title }, skipped: true };
      }
      return { messages: [], skipped: true };
    },
    end: close,
  };
}
