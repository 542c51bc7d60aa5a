import { stream } from 'hono/streaming';
import { z } from 'zod';
import { idSchema } from '../domain/common.model.js';
import type { BoundedSessionExport } from '../services/export.service.js';
import { defineOperation, type Operation, READ } from './operation.js';

const FORMATS = ['json', 'markdown'] as const;

/** The size bound of an export returned as a value (MCP, CLI): a few messages at the largest message size. */
export const SESSION_EXPORT_MAX_CHARS = Object.freeze({ default: 1_000_000, max: 2_000_000 });

function exportText(r: BoundedSessionExport & { sessionId: string }): string {
  return r.truncated
    ? `${r.document}\n[truncated: ${r.messages} of ${r.totalMessages} messages shown; GET /v1/sessions/${r.sessionId}/export streams the whole session]`
    : r.document;
}

export function exportOperations(): Operation[] {
  return [
    defineOperation({
      name: 'export_session',
      title: 'Export session',
      description:
        'Export a session with its messages as one document: "markdown" to read or share, "json" ' +
        '(format session-buddy.session.v1) to archive or import elsewhere. The document is cut after the last ' +
        'whole message that fits in max_chars; truncated says so (REST streams the whole session unless ' +
        'max_chars is given).',
      input: z.strictObject({
        sessionId: idSchema.describe('Id of the session to export'),
        format: z.enum(FORMATS).default('json').describe('json (default) or markdown'),
        maxChars: z.coerce
          .number()
          .int()
          .min(10_000)
          .max(SESSION_EXPORT_MAX_CHARS.max)
          .optional()
          .describe(`Largest document returned (default ${SESSION_EXPORT_MAX_CHARS.default}; REST: no bound)`),
      }),
      output: z.object({
        sessionId: z.string(),
        format: z.enum(FORMATS),
        document: z.string(),
        /** Messages in the document. */
        messages: z.number().int(),
        totalMessages: z.number().int(),
        /** Messages were left out to stay within max_chars. */
        truncated: z.boolean(),
      }),
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/sessions/:id/export',
        operationId: 'exportSession',
        tag: 'sessions',
        params: { id: 'sessionId' },
        responses: { 200: { description: 'The export document', contentType: 'application/json, text/markdown' } },
        // Streamed a page of messages at a time, with backpressure: REST answers without holding the document.
        stream: async (c, { services, principal }, { sessionId, format, maxChars }) => {
          if (maxChars !== undefined) {
            const bounded = await services.exports.exportBounded(principal, sessionId, format, maxChars);
            c.header('X-Session-Buddy-Truncated', String(bounded.truncated));
            c.header(
              'Content-Type',
              format === 'json' ? 'application/json; charset=utf-8' : 'text/markdown; charset=utf-8',
            );
            return c.body(bounded.document);
          }
          const doc = await services.exports.exportSession(principal, sessionId, format);
          c.header('Content-Type', doc.contentType);
          c.header('Content-Disposition', `attachment; filename="${doc.fileName}"`);
          return stream(c, async (out) => {
            for await (const chunk of doc.chunks) await out.write(chunk);
          });
        },
      },
      run: async ({ services, principal }, { sessionId, format, maxChars }) => ({
        sessionId,
        format,
        ...(await services.exports.exportBounded(
          principal,
          sessionId,
          format,
          maxChars ?? SESSION_EXPORT_MAX_CHARS.default,
        )),
      }),
      summary: (r) =>
        `Export of session ${r.sessionId} (${r.format})${r.truncated ? `: ${r.messages} of ${r.totalMessages} messages, truncated` : ''}.`,
      // The document itself is the readable text.
      document: exportText,
    }),
  ];
}
