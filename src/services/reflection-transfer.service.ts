import { setImmediate as nextTurn } from 'node:timers/promises';
import { z } from 'zod';
import {
  isSessionBuddyError,
  NotFoundError,
  SessionBuddyError,
  UnavailableError,
  ValidationError,
} from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Principal } from '../core/principal.js';
import { parseInput } from '../core/validate.js';
import { projectSchema } from '../domain/common.model.js';
import type {
  CreateReflectionInput,
  Reflection,
  ReflectionFilters,
  ReflectionSchemas,
} from '../domain/reflection.model.js';
import type { ReflectionService } from './reflection.service.js';
import {
  type Candidate,
  type CandidateCaps,
  IMPORT_FORMATS,
  type ImportFormat,
  jsonlCandidates,
  LineError,
  memoryJsonCandidates,
  parseLine,
  splitLines,
} from './transfer/import-records.js';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  jsonlLine,
  markdownEntry,
  markdownFoot,
  markdownHead,
} from './transfer/reflection-documents.js';

export { EXPORT_FORMATS, type ExportFormat, IMPORT_FORMATS, type ImportFormat };

/** The lines of an import, read lazily; called twice in strict mode (validate, then write). */
export type LineSource = () => AsyncIterable<string> | Iterable<string>;

export interface ImportLineError {
  /** 1-based physical line number (blank lines count). */
  line: number;
  message: string;
}

export const importResultSchema = z.object({
  format: z.enum(IMPORT_FORMATS),
  /** Non-blank lines read. */
  lines: z.number().int(),
  /** Reflections newly stored. */
  created: z.number().int(),
  /** Exact duplicates of reflections already stored (re-importing a file changes nothing). */
  existing: z.number().int(),
  /** Bad lines plus reflections that could not be stored. */
  failed: z.number().int(),
  /** The first errors, in line order (see `errorsOmitted`). */
  errors: z.array(z.object({ line: z.number().int(), message: z.string() })),
  errorsOmitted: z.number().int(),
});
export type ImportResult = z.output<typeof importResultSchema>;

export interface ImportHooks {
  /** Called as lines are read, with the number of the last physical line read. */
  onProgress?: (line: number) => void;
}

export interface ReflectionExport {
  contentType: string;
  /** File name suggested to clients (Content-Disposition). */
  fileName: string;
  /** The document in chunks, read a page of reflections at a time. */
  chunks: AsyncGenerator<string>;
}

export interface BoundedExport {
  format: ExportFormat;
  document: string;
  /** Reflections in `document`. */
  count: number;
  /** True when reflections were left out to stay within the size bound. */
  truncated: boolean;
}

export interface ReflectionTransferOptions {
  /** Reflections stored concurrently; concurrent stores share embedding batches. (Default: 32) */
  concurrency?: number;
  /** Reflections read per page when exporting; at most `limits.pageSize`. (Default: the list default) */
  pageSize?: number;
  /** Errors kept in an import result; the rest are only counted. (Default: 100) */
  maxErrors?: number;
  /** Most reflections one import may produce (`imports.maxItems`); more → 413, nothing written. (Default: 10,000) */
  maxItems?: number;
  /** Most observations of one memory-json entity (`imports.maxObservationsPerEntity`). (Default: 1,000) */
  maxObservationsPerEntity?: number;
  clock?: () => Date;
  /** Where an unexpected failure to store one line is logged (its answer only says "internal error"). */
  logger?: Logger;
}

/** How to import: the file's format, a project for every reflection, and whether any bad line aborts. */
export const importOptionsSchema = z.strictObject({
  format: z.enum(IMPORT_FORMATS).describe('memory-json (MCP memory server file) or jsonl (a reflections export)'),
  project: projectSchema.optional().describe("Project for every reflection (jsonl: overrides each line's project)"),
  // A query string says `strict=true`; JSON says `true`.
  strict: z
    .preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean())
    .default(false)
    .describe('Any bad line rejects the whole import and nothing is written'),
});
export type ImportOptions = z.output<typeof importOptionsSchema>;

/** An import whose whole file is at hand as a string (REST body or raw body, MCP argument). */
export const importTextSchema = importOptionsSchema.extend({
  content: z.string().describe('The file content: JSON lines'),
});
export type ImportTextInput = z.output<typeof importTextSchema>;

/** What to export: the format and the filters of a listing. */
export type ReflectionExportQuery = ReflectionFilters & { format: ExportFormat };

/**
 * The near-duplicate check is one exact k-NN query per reflection on SQLite (quadratic over an import) and its
 * report would be thrown away here; the vector is still computed and saved at store time, so an import ends
 * searchable by meaning.
 */
const NO_NEAR_DUPLICATES = { nearDuplicates: 'embed' } as const;

/** Lines read, or reflections stored, between two turns of the event loop: one big import never starves others. */
const YIELD_EVERY = 64;

const CANDIDATES: Record<
  ImportFormat,
  (value: unknown, project: string | undefined, caps: CandidateCaps) => Candidate[]
> = {
  'memory-json': memoryJsonCandidates,
  jsonl: jsonlCandidates,
};

type ReadLine = { line: number; candidates: Candidate[] } | { line: number; error: string };

/**
 * Import and export of reflections. Imports go through ReflectionService.storeReflection, one reflection at a
 * time but many in flight (their embeddings share batches), so validation, exact-duplicate handling (existing
 * reflection returned, counted as `existing`), the vector and the queued embedding job apply as for any other
 * store; only the near-duplicate report is skipped (see NO_NEAR_DUPLICATES).
 * See importLines for strict (all or nothing) and non-strict (per-line report) imports and their caps.
 * Exports page through ReflectionService.list, oldest first, and never hold the whole set.
 */
export class ReflectionTransferService {
  private readonly concurrency: number;
  private readonly pageSize: number;
  private readonly maxErrors: number;
  private readonly maxItems: number;
  private readonly caps: CandidateCaps;
  private readonly clock: () => Date;
  private readonly logger: Logger | undefined;

  /** `create` validates each reflection read from a file, as the store_reflection operation validates its input. */
  constructor(
    private readonly reflections: ReflectionService,
    private readonly create: ReflectionSchemas['create'],
    options: ReflectionTransferOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 32;
    this.pageSize = options.pageSize ?? 50;
    this.maxErrors = options.maxErrors ?? 100;
    this.maxItems = options.maxItems ?? 10_000;
    this.caps = { observationsPerEntity: options.maxObservationsPerEntity ?? 1_000 };
    this.clock = options.clock ?? (() => new Date());
    this.logger = options.logger;
  }

  /**
   * Two passes over the lines. The first writes nothing: it counts the reflections the file would make (more than
   * `maxItems` → 413) and, in strict mode, validates every one (any bad line → 400). The second stores them.
   * Strict is all or nothing: should a store still fail after validation, the reflections this import created are
   * deleted again before the error is returned. Non-strict reports bad lines and rejected reflections by line
   * number, never a 500 (an unexpected failure storing one line is logged and reported for that line); the store
   * being down (503) stops the import — what was stored stays, and running the import again skips it. Both passes yield to the event loop every YIELD_EVERY
   * lines or reflections.
   */
  async importLines(
    principal: Principal,
    source: LineSource,
    opts: ImportOptions,
    hooks: ImportHooks = {},
  ): Promise<ImportResult> {
    await this.precheck(source, opts);
    const result: ImportResult = {
      format: opts.format,
      lines: 0,
      created: 0,
      existing: 0,
      failed: 0,
      errors: [],
      errorsOmitted: 0,
    };
    const fail = (line: number, message: string) => {
      result.failed++;
      if (result.errors.length < this.maxErrors) result.errors.push({ line, message });
      else result.errorsOmitted++;
    };
    /** Ids created by this import, kept in strict mode to undo it. */
    const createdIds: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let stop: { line: number; error: unknown } | undefined;
    const store = async (line: number, candidate: Candidate) => {
      try {
        const stored = await this.storeCandidate(principal, candidate.input);
        if (stored.created) {
          result.created++;
          if (opts.strict) createdIds.push(stored.reflection.id);
        } else result.existing++;
      } catch (error) {
        if (opts.strict || (isSessionBuddyError(error) && error.status >= 500)) {
          if (!stop || line < stop.line) stop = { line, error: annotate(error, candidate) };
        } else if (isSessionBuddyError(error)) fail(line, at(candidate, error.message));
        else {
          // Not the store being down (that is an UnavailableError): something about this line; the rest goes on.
          this.logger?.error({ err: error, line }, 'import: a line could not be stored');
          fail(line, at(candidate, 'could not be stored (internal error, logged on the server)'));
        }
      }
    };
    let stored = 0;
    for await (const read of readLines(source, opts.format, opts.project, this.caps)) {
      if (stop) break;
      result.lines++;
      hooks.onProgress?.(read.line);
      if ('error' in read) {
        fail(read.line, read.error);
        continue;
      }
      for (const candidate of read.candidates) {
        if (stop) break;
        const task: Promise<void> = store(read.line, candidate).then(() => void inFlight.delete(task));
        inFlight.add(task);
        if (inFlight.size >= this.concurrency) await Promise.race(inFlight);
        if (++stored % YIELD_EVERY === 0) await nextTurn();
      }
    }
    await Promise.all(inFlight);
    if (stop) throw await this.stopped(principal, stop, createdIds, opts.strict);
    result.errors.sort((a, b) => a.line - b.line);
    return result;
  }

  async importText(principal: Principal, { content, ...options }: ImportTextInput): Promise<ImportResult> {
    return this.importLines(principal, () => splitLines(content), options);
  }

  exportReflections(principal: Principal, { format, ...filters }: ReflectionExportQuery): ReflectionExport {
    const reflections = this.all(principal, filters);
    const stamp = this.clock().toISOString();
    const name = `reflections-${slug(filters.project ?? 'all')}-${stamp.slice(0, 10).replaceAll('-', '')}`;
    return format === 'jsonl'
      ? {
          contentType: 'application/x-ndjson; charset=utf-8',
          fileName: `${name}.jsonl`,
          chunks: jsonlChunks(reflections),
        }
      : {
          contentType: 'text/markdown; charset=utf-8',
          fileName: `${name}.md`,
          chunks: markdownChunks(reflections, filters, stamp),
        };
  }

  /**
   * The export as one string of at most `maxChars` characters, for callers that need a value (MCP). Whole
   * reflections only: the first one that would not fit ends the document.
   */
  async exportBounded(
    principal: Principal,
    { format, ...filters }: ReflectionExportQuery,
    maxChars: number,
  ): Promise<BoundedExport> {
    const stamp = this.clock().toISOString();
    const head = format === 'markdown' ? markdownHead(filters, stamp) : '';
    let document = head;
    let count = 0;
    for await (const r of this.all(principal, filters)) {
      const entry = format === 'jsonl' ? jsonlLine(r) : markdownEntry(r);
      if (document.length + entry.length > maxChars) {
        return { format, document, count, truncated: true };
      }
      document += entry;
      count++;
    }
    if (format === 'markdown') document += markdownFoot(count);
    return { format, document, count, truncated: false };
  }

  /** Every reflection matching the filters, oldest first, a page at a time. */
  private async *all(principal: Principal, filters: ReflectionFilters): AsyncGenerator<Reflection> {
    let cursor: string | undefined;
    do {
      const page = await this.reflections.list(principal, { ...filters, order: 'asc', limit: this.pageSize, cursor });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /**
   * A line is input like any other: validated as store_reflection validates it. A session named by an imported
   * line may not exist here (exported from another server): the reflection is stored without it and the id kept
   * as metadata.sourceSessionId.
   */
  private async storeCandidate(principal: Principal, input: Record<string, unknown>) {
    const data: CreateReflectionInput = parseInput(this.create, input);
    try {
      return await this.reflections.storeReflection(principal, data, NO_NEAR_DUPLICATES);
    } catch (error) {
      if (!(error instanceof NotFoundError) || data.sessionId === undefined) throw error;
      const { sessionId, metadata, ...rest } = input;
      const moved = parseInput(this.create, {
        ...rest,
        metadata: { ...(metadata as Record<string, unknown> | undefined), sourceSessionId: sessionId },
      });
      return this.reflections.storeReflection(principal, moved, NO_NEAR_DUPLICATES);
    }
  }

  /**
   * The first pass, before anything is written: the number of reflections against `maxItems` (413) and, in strict
   * mode, every line parsed and every reflection validated as the write validates it (400 naming the lines).
   */
  private async precheck(source: LineSource, opts: ImportOptions): Promise<void> {
    const errors: ImportLineError[] = [];
    let bad = 0;
    let items = 0;
    const note = (line: number, message: string) => {
      bad++;
      if (errors.length < this.maxErrors) errors.push({ line, message });
    };
    let read = 0;
    for await (const entry of readLines(source, opts.format, opts.project, this.caps)) {
      if (++read % YIELD_EVERY === 0) await nextTurn();
      if ('error' in entry) {
        if (opts.strict) note(entry.line, entry.error);
        continue;
      }
      items += entry.candidates.length;
      if (items > this.maxItems) {
        throw new SessionBuddyError(
          'payload_too_large',
          413,
          `Import refused, nothing was written: the file makes more than ${this.maxItems} reflections ` +
            `(imports.maxItems, reached at line ${entry.line}); split it or raise the limit`,
          [{ field: 'content', message: `makes more than imports.maxItems (${this.maxItems}) reflections` }],
        );
      }
      if (!opts.strict) continue;
      for (const candidate of entry.candidates) {
        // parseInput, as the write does: the text rule (NUL, lone surrogates) is checked here too, so strict stays
        // all or nothing.
        try {
          parseInput(this.create, candidate.input);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          note(entry.line, at(candidate, error.message));
        }
      }
    }
    if (bad === 0) return;
    const shown = errors
      .slice(0, 3)
      .map((e) => `line ${e.line}: ${e.message}`)
      .join('; ');
    throw new ValidationError(
      `Import aborted (strict), nothing was written: ${bad} error${bad === 1 ? '' : 's'} — ${shown}`,
      errors.map((e) => ({ field: `line.${e.line}`, message: e.message })),
    );
  }

  /**
   * The error an import that had to stop answers with. Strict: the reflections it created are deleted first (if
   * the store is down the undo may fail too: the message then says how many stayed), and a rejected reflection is
   * a 400 naming its line. Non-strict: the store's own 503.
   */
  private async stopped(
    principal: Principal,
    stop: { line: number; error: unknown },
    createdIds: string[],
    strict: boolean,
  ): Promise<unknown> {
    const { line, error } = stop;
    if (!strict) return error;
    let kept = 0;
    for (const id of createdIds) {
      try {
        await this.reflections.delete(principal, id);
      } catch (e) {
        if (!(e instanceof NotFoundError)) kept++;
      }
    }
    const outcome =
      kept === 0 ? 'nothing was written' : `${kept} reflections written before it could not be removed (import again)`;
    if (isSessionBuddyError(error) && error.status < 500) {
      return new ValidationError(`Import aborted (strict), ${outcome}: line ${line}: ${error.message}`, [
        { field: `line.${line}`, message: error.message },
      ]);
    }
    if (kept > 0 && error instanceof UnavailableError) {
      return new UnavailableError(`${error.message}; import aborted (strict), ${outcome}`, error.retryAfterSeconds);
    }
    return error;
  }
}

async function* readLines(
  source: LineSource,
  format: ImportFormat,
  project: string | undefined,
  caps: CandidateCaps,
): AsyncGenerator<ReadLine> {
  const toCandidates = CANDIDATES[format];
  let line = 0;
  for await (const raw of source()) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    try {
      yield { line, candidates: toCandidates(parseLine(text), project, caps) };
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      yield { line, error: error.message };
    }
  }
}

/** A store error with the candidate's place in its line, when it is a client error. */
function annotate(error: unknown, candidate: Candidate): unknown {
  if (!isSessionBuddyError(error) || error.status >= 500 || candidate.at === '') return error;
  return new SessionBuddyError(error.code, error.status, at(candidate, error.message), error.details);
}

function at(candidate: Candidate, message: string): string {
  return candidate.at === '' ? message : `${candidate.at}: ${message}`;
}

function slug(text: string): string {
  return text.replace(/[^\w.-]+/g, '_').slice(0, 80);
}

async function* jsonlChunks(reflections: AsyncIterable<Reflection>): AsyncGenerator<string> {
  for await (const r of reflections) yield jsonlLine(r);
}

async function* markdownChunks(
  reflections: AsyncIterable<Reflection>,
  filters: ReflectionFilters,
  stamp: string,
): AsyncGenerator<string> {
  // The first page is read before the head is produced: a failure then is an error answer, not a truncated file.
  const it = reflections[Symbol.asyncIterator]();
  let next = await it.next();
  yield markdownHead(filters, stamp);
  let count = 0;
  while (!next.done) {
    count++;
    yield markdownEntry(next.value);
    next = await it.next();
  }
  yield markdownFoot(count);
}
