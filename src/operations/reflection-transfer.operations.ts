import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import { reflectionSchemas } from '../domain/reflection.model.js';
import {
  type BoundedExport,
  EXPORT_FORMATS,
  importResultSchema,
  importTextSchema,
} from '../services/reflection-transfer.service.js';
import { toByteStream } from './byte-stream.js';
import { CREATE, defineOperation, type Operation, READ } from './operation.js';

/** Large enough for a few hundred reflections, small enough for a model's context. */
const DEFAULT_MAX_CHARS = 100_000;

const boundedExportSchema = z.object({
  format: z.enum(EXPORT_FORMATS),
  document: z.string(),
  /** Reflections in the document. */
  count: z.number().int(),
  /** Reflections were left out to stay within the size bound. */
  truncated: z.boolean(),
});

function boundedText(r: BoundedExport): string {
  return r.truncated
    ? `${r.document}\n[truncated: ${r.count} reflections shown; narrow the filters to see the rest]`
    : r.document;
}

/**
 * Import and export of reflections. Mounted before the reflection group, so `export` is not taken for a
 * reflection id by GET /v1/reflections/:id. The export is two operations: REST streams a whole file (JSON lines
 * by default), MCP answers a bounded document (Markdown by default) a model can read.
 */
export function reflectionTransferOperations(limits: Config['limits']): Operation[] {
  const { filters } = reflectionSchemas(limits);
  return [
    defineOperation({
      name: 'export_reflections_file',
      title: 'Export reflections as a file',
      description:
        'Export reflections, oldest first, as JSON lines (re-importable with format=jsonl) or Markdown, streamed; ' +
        'filters as for listing.',
      input: z.strictObject({
        format: z.enum(EXPORT_FORMATS).default('jsonl').describe('jsonl (default) or markdown'),
        ...filters,
      }),
      output: boundedExportSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/reflections/export',
        operationId: 'exportReflections',
        tag: 'reflections',
        responses: {
          200: { description: 'The export document', contentType: 'application/x-ndjson, text/markdown' },
        },
      },
      // Streamed a page of reflections at a time as the client reads: never held whole. The first page is read
      // before the answer starts (an error then is a problem+json); a later error aborts the connection.
      download: async ({ services, principal }, input) => {
        const doc = services.transfer.exportReflections(principal, input);
        return { contentType: doc.contentType, fileName: doc.fileName, stream: toByteStream(doc.chunks) };
      },
      mcp: false,
      run: ({ services, principal }, input) =>
        services.transfer.exportBounded(principal, input, Number.POSITIVE_INFINITY),
      summary: (r) => `${r.count} reflections exported (${r.format}).`,
      document: boundedText,
    }),
    defineOperation({
      name: 'import_memory',
      title: 'Import memory',
      description:
        'Import reflections from the content of an MCP memory server file (format "memory-json": JSON lines of ' +
        'entities and relations; each observation and each relation becomes a reflection) or of a reflections ' +
        'export ("jsonl"). Exact duplicates are skipped, so importing again is harmless; bad lines are reported ' +
        'with their number. strict=true rejects the whole import on any bad line and writes nothing. At most ' +
        'imports.maxItems reflections per import (413 otherwise, nothing written) and ' +
        'imports.maxObservationsPerEntity observations per entity (a bad line). Over REST ' +
        'the file may also be the body itself (application/x-ndjson, options in the query; bounded by ' +
        'server.bodyLimitBytes: the CLI streams bigger files).',
      input: importTextSchema,
      output: importResultSchema,
      annotations: { ...CREATE, idempotentHint: true },
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/reflections/import',
        operationId: 'importReflections',
        tag: 'reflections',
        textBody: { types: ['application/x-ndjson', 'application/jsonl'], key: 'content' },
        responses: { 200: { description: 'Counts and per-line errors', schema: importResultSchema } },
      },
      run: ({ services, principal }, input) => services.transfer.importText(principal, input),
      summary: (r) =>
        `Imported ${r.lines} lines: ${r.created} created, ${r.existing} already present, ${r.failed} failed.`,
    }),
    defineOperation({
      name: 'export_reflections',
      title: 'Export reflections',
      description:
        'Export reflections, oldest first, as "markdown" to read or "jsonl" to re-import, filtered by project, ' +
        'session, tags and time. The document is cut after the last whole reflection that fits in max_chars; ' +
        'truncated says so (narrow the filters, e.g. from, or use GET /v1/reflections/export for everything).',
      input: z.strictObject({
        format: z.enum(EXPORT_FORMATS).default('markdown').describe('markdown (default) or jsonl'),
        ...filters,
        maxChars: z.coerce
          .number()
          .int()
          .min(1_000)
          .max(1_000_000)
          .default(DEFAULT_MAX_CHARS)
          .describe(`Largest document returned (default ${DEFAULT_MAX_CHARS})`),
      }),
      output: boundedExportSchema,
      annotations: READ,
      scope: 'read',
      run: ({ services, principal }, { maxChars, ...query }) =>
        services.transfer.exportBounded(principal, query, maxChars),
      summary: (r) =>
        `${r.count} reflections exported (${r.format})${r.truncated ? '; truncated: narrow the filters' : ''}.`,
      // The document itself is the readable text.
      document: boundedText,
    }),
  ];
}
