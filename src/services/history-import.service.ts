import { setImmediate as nextTurn } from 'node:timers/promises';
import { z } from 'zod';
import { isSessionBuddyError, ValidationError } from '../core/errors.js';
import { nameBasedUuid } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Principal } from '../core/principal.js';
import { parseInput } from '../core/validate.js';
import { projectSchema } from '../domain/common.model.js';
import type { AddMessageInput, MessageSchemas } from '../domain/message.model.js';
import { DEFAULT_PROJECT, type Session } from '../domain/session.model.js';
import type { SessionRepository } from '../repositories/ports.js';
import { jsonlChatReader, markdownChatReader } from './history/chat.reader.js';
import { claudeCodeReader } from './history/claude-code.reader.js';
import {
  clip,
  digest,
  HISTORY_FORMATS,
  type HistoryFormat,
  type HistoryMessage,
  type HistoryReader,
  nameFrom,
  projectFromCwd,
  type ReadResult,
  type RenderLimits,
  type SessionFacts,
} from './history/history-records.js';
import type { MessageService } from './message.service.js';
import type { ImportHooks, LineSource } from './reflection-transfer.service.js';
import { LineError, splitLines } from './transfer/import-records.js';

export { HISTORY_FORMATS, type HistoryFormat };

/** How to import one conversation file. */
export const historyOptionsSchema = z.strictObject({
  format: z
    .enum(HISTORY_FORMATS)
    .describe('claude-code (a Claude Code transcript), jsonl ({role, content, timestamp?} lines) or markdown'),
  project: projectSchema
    .optional()
    .describe('Project of the session (default: claude-code, the last folder of the cwd; else "default")'),
  name: z.string().trim().min(1).max(200).optional().describe('Name of a new session (default: from the file)'),
  sourceId: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe("The conversation's own id, which finds the session again on re-import (default: from the file)"),
});
export type HistoryOptions = z.output<typeof historyOptionsSchema>;

export const historyTextSchema = historyOptionsSchema.extend({
  content: z.string().describe('The file content'),
});
export type HistoryTextInput = z.output<typeof historyTextSchema>;

export const historyResultSchema = z.object({
  format: z.enum(HISTORY_FORMATS),
  /** Non-blank lines read. */
  lines: z.number().int(),
  /** Messages newly stored. */
  created: z.number().int(),
  /** Messages stored by an earlier import of the same lines (not stored again). */
  existing: z.number().int(),
  /** Lines with nothing to store (summaries, snapshots, meta lines, thinking only). */
  skipped: z.number().int(),
  /** Bad lines plus messages that could not be stored. */
  failed: z.number().int(),
  /** The first errors, in line order (see `errorsOmitted`). */
  errors: z.array(z.object({ line: z.number().int(), message: z.string() })),
  errorsOmitted: z.number().int(),
  /** The session the messages went to; null when the file held no message. */
  session: z.object({ id: z.string(), name: z.string(), project: z.string(), created: z.boolean() }).nullable(),
});
export type HistoryResult = z.output<typeof historyResultSchema>;

export interface HistoryImportOptions {
  /** Messages stored per transaction; at most `limits.batchMessages`. (Default: 100) */
  batchSize?: number;
  /** Longest message (`limits.messageContentChars`); longer text is cut, saying so. (Default: 100,000) */
  messageChars?: number;
  /** Longest rendering of one tool call's input or one tool result. (Default: 4,000) */
  toolChars?: number;
  /** Errors kept in a result; the rest are only counted. (Default: 100) */
  maxErrors?: number;
  clock?: () => Date;
  logger?: Logger;
}

const READERS: Record<HistoryFormat, (limits: RenderLimits) => HistoryReader> = {
  'claude-code': claudeCodeReader,
  jsonl: jsonlChatReader,
  markdown: markdownChatReader,
};

const LABELS: Record<HistoryFormat, string> = {
  'claude-code': 'Claude Code session',
  jsonl: 'Imported chat',
  markdown: 'Imported chat',
};

/** Lines read between two turns of the event loop (a batch stored is one too). */
const YIELD_EVERY = 64;

interface Pending {
  line: number;
  input: AddMessageInput;
}

/**
 * Imports past conversations (coding-assistant transcripts, generic chats) as sessions with their messages.
 * One file is one session, found again by a name-based id (tenant, format, source id): importing the same file
 * twice finds the same session, and each message's idempotency key (the line's uuid, or its position and content)
 * makes the second import store nothing; a file that grew adds only its new messages. Each message keeps its own
 * time (`createdAt`). Lines are read one at a time and stored in batches through MessageService (one transaction
 * each, with the outbox jobs that embed and index them). A bad line is reported with its number and the rest goes
 * on; the store being down (503) stops the import — importing again resumes where it stopped.
 */
export class HistoryImportService {
  private readonly batchSize: number;
  private readonly render: RenderLimits;
  private readonly maxErrors: number;
  private readonly clock: () => Date;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly messages: MessageService,
    private readonly messageSchema: MessageSchemas['one'],
    private readonly options: HistoryImportOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.render = { messageChars: options.messageChars ?? 100_000, toolChars: options.toolChars ?? 4_000 };
    this.maxErrors = options.maxErrors ?? 100;
    this.clock = options.clock ?? (() => new Date());
  }

  async importText(principal: Principal, { content, ...options }: HistoryTextInput): Promise<HistoryResult> {
    return this.importLines(principal, () => splitLines(content), options);
  }

  async importLines(
    principal: Principal,
    source: LineSource,
    opts: HistoryOptions,
    hooks: ImportHooks = {},
  ): Promise<HistoryResult> {
    const reader = READERS[opts.format](this.render);
    const result: HistoryResult = {
      format: opts.format,
      lines: 0,
      created: 0,
      existing: 0,
      skipped: 0,
      failed: 0,
      errors: [],
      errorsOmitted: 0,
      session: null,
    };
    const fail = (line: number, message: string) => {
      result.failed++;
      if (result.errors.length < this.maxErrors) result.errors.push({ line, message });
      else result.errorsOmitted++;
    };
    const facts: SessionFacts = {};
    let firstUserText: string | undefined;
    let session: (Session & { created: boolean }) | undefined;
    let pending: Pending[] = [];

    const take = (read: ReadResult, blank: boolean) => {
      if (read.skipped && !blank) result.skipped++;
      for (const [key, value] of Object.entries(read.facts ?? {}) as Array<[keyof SessionFacts, string]>) {
        facts[key] ??= value;
      }
      for (const { line, message } of read.messages) {
        const input = this.validate(line, message, fail);
        if (!input) continue;
        if (input.role === 'user' && firstUserText === undefined && !input.content.trimStart().startsWith('<')) {
          firstUserText = nameFrom(input.content);
        }
        pending.push({ line, input });
      }
    };
    const flush = async () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      if (!session) {
        session = await this.findOrCreate(principal, opts, facts, firstUserText, batch);
        result.session = { id: session.id, name: session.name, project: session.project, created: session.created };
      }
      try {
        const stored = await this.messages.addBatch(
          principal,
          session.id,
          batch.map((p) => p.input),
        );
        for (const s of stored) {
          if (s.created) result.created++;
          else result.existing++;
        }
      } catch (error) {
        if (isSessionBuddyError(error) && error.status >= 500) throw error;
        const message = isSessionBuddyError(error)
          ? error.message
          : 'could not be stored (internal error, logged on the server)';
        if (!isSessionBuddyError(error)) this.options.logger?.error({ err: error }, 'history import: a batch failed');
        for (const p of batch) fail(p.line, message);
      }
      await nextTurn();
    };

    let line = 0;
    for await (const raw of source()) {
      line++;
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() !== '') result.lines++;
      hooks.onProgress?.(line);
      try {
        take(reader.read(text, line), text.trim() === '');
      } catch (error) {
        if (error instanceof LineError) fail(line, error.message);
        else if (error instanceof RangeError) fail(line, 'is nested too deeply to read');
        else throw error;
      }
      if (pending.length >= this.batchSize) await flush();
      else if (line % YIELD_EVERY === 0) await nextTurn();
    }
    take(reader.end(), false);
    await flush();
    result.errors.sort((a, b) => a.line - b.line);
    return result;
  }

  /** The message as add_messages validates it; a refusal is that line's error. */
  private validate(
    line: number,
    m: HistoryMessage,
    fail: (line: number, message: string) => void,
  ): AddMessageInput | undefined {
    try {
      return parseInput(this.messageSchema, {
        role: m.role,
        content: m.content,
        metadata: m.metadata,
        idempotencyKey: m.key.length <= 200 ? m.key : `${m.key.slice(0, 180)}~${digest(m.key)}`,
        ...(m.createdAt === undefined ? {} : { createdAt: m.createdAt }),
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // One reason per field: a bad time fails more than one rule of the same field.
      const fields = new Map<string, string>();
      for (const d of error.details) if (!fields.has(renamed(d.field))) fields.set(renamed(d.field), d.message);
      const reasons = [...fields].map(([field, message]) => `${field}: ${message}`);
      fail(line, reasons.length > 0 ? reasons.slice(0, 3).join('; ') : error.message);
      return undefined;
    }
  }

  /**
   * The session of this conversation: its id is derived from the tenant, the format and the source id, so a
   * re-import finds it with one lookup. A new one is `ended` (it is history), dated by its first message and named
   * by the caller, the file's title, its first user text, or else the source id.
   */
  private async findOrCreate(
    principal: Principal,
    opts: HistoryOptions,
    facts: SessionFacts,
    firstUserText: string | undefined,
    batch: Pending[],
  ): Promise<Session & { created: boolean }> {
    const sourceId = opts.sourceId ?? facts.sourceId ?? digest((batch[0] as Pending).input.idempotencyKey ?? '');
    const id = nameBasedUuid(principal.tenantId, opts.format, sourceId);
    const found = await this.sessions.get(principal.tenantId, id);
    if (found) return { ...found, created: false };
    const times = batch.flatMap((p) => (p.input.createdAt ? [p.input.createdAt] : []));
    // What a file says is bounded and made storable like message text: a session row is no place for a megabyte.
    const shownId = clip(sourceId, 150);
    const metadata: Record<string, unknown> = { source: opts.format, sourceSessionId: shownId };
    if (facts.cwd) metadata.cwd = clip(facts.cwd, 1_000);
    if (facts.gitBranch) metadata.gitBranch = clip(facts.gitBranch, 200);
    try {
      const created = await this.sessions.create({
        id,
        tenantId: principal.tenantId,
        project: opts.project ?? projectFromCwd(facts.cwd) ?? DEFAULT_PROJECT,
        name:
          opts.name ??
          (facts.title ? nameFrom(facts.title) : undefined) ??
          firstUserText ??
          `${LABELS[opts.format]} ${shownId}`,
        status: 'ended',
        metadata,
        createdAt:
          times.length > 0
            ? times.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b))
            : this.clock().toISOString(),
      });
      return { ...created, created: true };
    } catch (error) {
      // Another import of the same conversation created it first.
      const raced = await this.sessions.get(principal.tenantId, id);
      if (raced) return { ...raced, created: false };
      throw error;
    }
  }
}

/** Message fields in the names a history file uses. */
function renamed(field: string | undefined): string {
  if (field === 'createdAt') return 'timestamp';
  return field ?? 'input';
}
