import { stream } from 'hono/streaming';
import {
  importResultSchema,
  importTextSchema,
  type ReflectionTransferService,
} from '../../services/reflection-transfer.service.js';
import type { RouteDef } from '../route.js';

/** Mounted before reflection.routes.ts, so `export` is not taken for a reflection id by GET /v1/reflections/:id. */
export function reflectionTransferRoutes(transfer: ReflectionTransferService): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/v1/reflections/export',
      operationId: 'exportReflections',
      summary:
        'Export reflections, oldest first, as JSON lines (re-importable with format=jsonl) or Markdown, streamed; filters as for listing',
      tag: 'reflections',
      query: transfer.exportQuery,
      responses: {
        200: { description: 'The export document', contentType: 'application/x-ndjson, text/markdown' },
      },
      handler: async (c, { principal, query }) => {
        const doc = transfer.exportReflections(principal, query);
        c.header('Content-Type', doc.contentType);
        c.header('Content-Disposition', `attachment; filename="${doc.fileName}"`);
        return stream(c, async (out) => {
          for await (const chunk of doc.chunks) await out.write(chunk);
        });
      },
    },
    {
      method: 'post',
      path: '/v1/reflections/import',
      operationId: 'importReflections',
      summary:
        'Import reflections from an MCP memory server file (memory-json) or a JSON lines export (jsonl): either JSON ' +
        '`{format, content, project?, strict?}`, or the file itself as application/x-ndjson with format, project and ' +
        'strict in the query (bounded by server.bodyLimitBytes; the CLI streams bigger files). Exact duplicates count ' +
        'as existing, bad lines are reported with their number; with strict, any bad line is a 400 and nothing is written.',
      tag: 'reflections',
      body: importTextSchema,
      textBody: ['application/x-ndjson', 'application/jsonl'],
      responses: { 200: { description: 'Counts and per-line errors', schema: importResultSchema } },
      handler: async (c, { principal, body, text, query }) =>
        c.json(
          await transfer.importText(principal, text === undefined ? body : { ...fromQuery(query), content: text }),
        ),
    },
  ];
}

/** Import options given in the query string beside a raw body: `strict=true|false` becomes a boolean. */
function fromQuery(query: Record<string, string>): Record<string, unknown> {
  const { strict, ...rest } = query;
  return {
    ...rest,
    ...(strict === undefined ? {} : { strict: strict === 'true' ? true : strict === 'false' ? false : strict }),
  };
}
