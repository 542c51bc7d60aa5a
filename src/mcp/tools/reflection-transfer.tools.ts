import { z } from 'zod';
import { EXPORT_FORMATS, importResultSchema, importTextSchema } from '../../services/reflection-transfer.service.js';
import type { Services } from '../../services/services.js';
import { defineTool, summaryWithJson, type ToolDef } from '../tool-registry.js';

/** Large enough for a few hundred reflections, small enough for a model's context. */
const DEFAULT_MAX_CHARS = 100_000;

export function reflectionTransferTools({ transfer }: Services): ToolDef[] {
  return [
    defineTool({
      name: 'import_memory',
      title: 'Import memory',
      description:
        'Import reflections from the content of an MCP memory server file (format "memory-json": JSON lines of ' +
        'entities and relations; each observation and each relation becomes a reflection) or of a reflections ' +
        'export ("jsonl"). Exact duplicates are skipped, so importing again is harmless; bad lines are reported ' +
        'with their number. strict=true rejects the whole import on any bad line.',
      input: importTextSchema,
      output: importResultSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => transfer.importText(principal, args),
      text: (r) =>
        summaryWithJson(
          `Imported ${r.lines} lines: ${r.created} created, ${r.existing} already present, ${r.failed} failed.`,
          r,
        ),
    }),
    defineTool({
      name: 'export_reflections',
      title: 'Export reflections',
      description:
        'Export reflections, oldest first, as "markdown" to read or "jsonl" to re-import, filtered by project, ' +
        'tags and time. The document is cut after the last whole reflection that fits in maxChars; truncated ' +
        'says so (narrow the filters, e.g. from, or use GET /v1/reflections/export for everything).',
      input: z.strictObject({
        format: z.enum(EXPORT_FORMATS).default('markdown').describe('markdown (default) or jsonl'),
        project: z.string().min(1).max(200).optional(),
        tags: z.array(z.string().min(1).max(64)).max(32).optional(),
        tagsMode: z.enum(['any', 'all']).default('any'),
        from: z.string().optional().describe('ISO 8601 date-time, inclusive'),
        to: z.string().optional().describe('ISO 8601 date-time, exclusive'),
        maxChars: z
          .number()
          .int()
          .min(1_000)
          .max(1_000_000)
          .default(DEFAULT_MAX_CHARS)
          .describe(`Largest document returned (default ${DEFAULT_MAX_CHARS})`),
      }),
      output: z.object({
        format: z.enum(EXPORT_FORMATS),
        document: z.string(),
        count: z.number().int(),
        truncated: z.boolean(),
      }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: ({ maxChars, tags, ...query }, principal) =>
        transfer.exportBounded(principal, { ...query, ...(tags ? { tags: tags.join(',') } : {}) }, maxChars),
      text: (r) =>
        r.truncated
          ? `${r.document}\n[truncated: ${r.count} reflections shown; narrow the filters to see the rest]`
          : r.document,
    }),
  ];
}
