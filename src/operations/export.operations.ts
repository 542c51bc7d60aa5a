import { z } from 'zod';
import { idSchema } from '../domain/common.model.js';
import type { BoundedSessionExport } from '../services/export.service.js';
import { toByteStream } from './byte-stream.js';
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
        'whole message that fits in max_chars; truncated says so (REST and the CLI stream the whole session as a ' +
        'file unless max_chars is given).',
      input: z.strictObject({
        sessionId: idSchema.describe('Id of the session to export'),
        format: z.enum(FORMATS).default('json').describe('json (default) or markdown'),
        maxChars: z.coerce
          .number()
          .int()
          .min(10_000)
          .max(SESSION_EXPORT_MAX_CHARS.max)
          .optional()
          .describe(
            `Largest document returned (default ${SESSION_EXPORT_MAX_CHARS.default}; REST and CLI: the whole file)`,
          ),
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
        responses: {
          200: {
            description: 'The export document (a file); with maxChars, the bounded export as JSON',
            contentType: 'application/json, text/markdown',
          },
        },
      },
      // Without max_chars, REST and the CLI answer with the whole document as a file, streamed a page of messages
      // at a time as the client reads (backpressure); MCP, and max_chars, use run: one bounded value.
      download: async ({ services, principal }, { sessionId, format, maxChars }) => {
        if (maxChars !== undefined) return undefined;
        const doc = await services.exports.exportSession(principal, sessionId, format);
        return { contentType: doc.contentType, fileName: doc.fileName, stream: toByteStream(doc.chunks) };
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
