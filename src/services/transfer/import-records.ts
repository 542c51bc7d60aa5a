import { z } from 'zod';
import { REFLECTION_LIMITS } from '../../domain/reflection.model.js';

export const IMPORT_FORMATS = ['memory-json', 'jsonl'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** One reflection to store, before validation (ReflectionService validates it like any other input). */
export interface Candidate {
  /** Where in the line it came from, for error messages: `observations[2]`, `relation`; empty for a whole line. */
  at: string;
  input: Record<string, unknown>;
}

/** Caps on what one line may produce. */
export interface CandidateCaps {
  /** Most observations of one memory-json entity (each becomes a reflection): `imports.maxObservationsPerEntity`. */
  observationsPerEntity: number;
}

/** A line that cannot be turned into candidates: the message names the field. */
export class LineError extends Error {}

export const MEMORY_IMPORT_TAG = 'memory-import';

/**
 * The official MCP memory server (@modelcontextprotocol/server-memory) stores its knowledge graph as JSON
 * lines, entities first: `{"type":"entity","name","entityType","observations":[…]}` and
 * `{"type":"relation","from","to","relationType"}` (older releases named the file memory.json, same content,
 * and spread extra fields into the line, which are ignored here).
 */
const entityLine = z.object({
  type: z.literal('entity'),
  name: z.string().trim().min(1, 'must not be blank'),
  entityType: z.string().trim(),
  observations: z.array(z.string()).default([]),
});
const relationLine = z.object({
  type: z.literal('relation'),
  from: z.string().trim().min(1, 'must not be blank'),
  to: z.string().trim().min(1, 'must not be blank'),
  relationType: z.string().trim().min(1, 'must not be blank'),
});
const memoryLine = z.discriminatedUnion('type', [entityLine, relationLine], {
  error: 'type: must be "entity" or "relation"',
});

/** A line of our own JSONL export (see reflection-documents.ts); ids, hashes and timestamps are not imported. */
const reflectionLine = z.object({
  type: z.literal('reflection', { error: 'must be "reflection"' }).optional(),
  content: z.unknown(),
  project: z.unknown().optional(),
  sessionId: z.string().nullable().optional(),
  tags: z.unknown().optional(),
  importance: z.unknown().optional(),
  metadata: z.unknown().optional(),
});

/**
 * Mapping of the memory graph onto reflections (reflections are flat insights, so the graph is flattened):
 * - each observation of an entity → one reflection `"<name> (<entityType>): <observation>"`, tags
 *   [<entityType as a tag>, memory-import], metadata {source: "mcp-memory", entity, entityType};
 * - an entity without observations → one reflection `"<name> (<entityType>)"`, so no node is lost;
 * - each relation → one reflection `"<from> <relationType> <to>"`, tags [memory-import, relation,
 *   <relationType as a tag>], metadata {source: "mcp-memory", relation: {from, to, relationType}}.
 * Relations are separate reflections rather than metadata on their entities because the file lists them
 * after every entity: attaching them would mean holding the whole graph in memory.
 */
export function memoryJsonCandidates(value: unknown, project: string | undefined, caps: CandidateCaps): Candidate[] {
  const parsed = memoryLine.safeParse(value);
  if (!parsed.success) throw new LineError(describe(parsed.error));
  const line = parsed.data;
  if (line.type === 'entity' && line.observations.length > caps.observationsPerEntity) {
    throw new LineError(
      `observations: ${line.observations.length} observations exceed imports.maxObservationsPerEntity ` +
        `(${caps.observationsPerEntity}); split the entity or raise the limit`,
    );
  }
  const base = project === undefined ? {} : { project };
  if (line.type === 'relation') {
    const { from, to, relationType } = line;
    return [
      {
        at: 'relation',
        input: {
          ...base,
          content: `${from} ${relationType} ${to}`,
          tags: tagsOf([MEMORY_IMPORT_TAG, 'relation', relationType]),
          metadata: { source: 'mcp-memory', relation: { from, to, relationType } },
        },
      },
    ];
  }
  const { name, entityType, observations } = line;
  const label = entityType === '' ? name : `${name} (${entityType})`;
  const tags = tagsOf([entityType, MEMORY_IMPORT_TAG]);
  const metadata = { source: 'mcp-memory', entity: name, entityType };
  if (observations.length === 0) return [{ at: 'entity', input: { ...base, content: label, tags, metadata } }];
  return observations.map((observation, i) => ({
    at: `observations[${i}]`,
    input: { ...base, content: `${label}: ${observation}`, tags, metadata },
  }));
}

/** A line of a session-buddy JSONL export. `project`, when given, overrides the line's project. */
export function jsonlCandidates(value: unknown, project: string | undefined, _caps?: CandidateCaps): Candidate[] {
  const parsed = reflectionLine.safeParse(value);
  if (!parsed.success) throw new LineError(describe(parsed.error));
  const { type: _type, sessionId, ...rest } = parsed.data;
  const input: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  if (project !== undefined) input.project = project;
  if (sessionId) input.sessionId = sessionId;
  return [{ at: '', input }];
}

/** Parses one non-blank line as a JSON object. */
export function parseLine(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LineError(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LineError('must be a JSON object');
  }
  return value;
}

/** The lines of a text (`\n` or `\r\n`), lazily: a large inline import is never split into one big array. */
export function* splitLines(text: string): Generator<string> {
  let start = 0;
  while (start <= text.length) {
    const end = text.indexOf('\n', start);
    const stop = end === -1 ? text.length : end;
    yield text.slice(start, text[stop - 1] === '\r' ? stop - 1 : stop);
    if (end === -1) return;
    start = end + 1;
  }
}

/** Free text as a tag: lowercase, spaces to dashes, other disallowed characters dropped, empty ones left out. */
function tagsOf(values: string[]): string[] {
  const tags = values
    .map((v) =>
      v
        .toLowerCase()
        .trim()
        .replace(/\s+/gu, '-')
        .replace(/[^\p{L}\p{N}_.:/@#+-]/gu, '')
        .slice(0, REFLECTION_LIMITS.tagChars),
    )
    .filter((t) => t !== '');
  return [...new Set(tags)];
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'invalid_union' || path === '') return issue.message;
      const message =
        issue.code === 'invalid_type' && / received undefined$/.test(issue.message) ? 'is required' : issue.message;
      return `${path}: ${message}`;
    })
    .join('; ');
}
