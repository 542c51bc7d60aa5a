import { stream } from 'hono/streaming';
import { z } from 'zod';
import { idSchema } from '../domain/common.model.js';
import { defineOperation, type Operation, READ } from './operation.js';

const FORMATS = ['json', 'markdown'] as const;

export function exportOperations(): Operation[] {
  return [
    defineOperation({
      name: 'export_session',
      title: 'Export session',
      description:
        'Export a session with all its messages as one document: "markdown" to read or share, "json" ' +
        '(format session-buddy.session.v1) to archive or import elsewhere.',
      input: z.strictObject({
        sessionId: idSchema.describe('Id of the session to export'),
        format: z.enum(FORMATS).default('json').describe('json (default) or markdown'),
      }),
      output: z.object({ sessionId: z.string(), format: z.enum(FORMATS), document: z.string() }),
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/sessions/:id/export',
        operationId: 'exportSession',
        tag: 'sessions',
        params: { id: 'sessionId' },
        responses: { 200: { description: 'The export document', contentType: 'application/json, text/markdown' } },
        // Streamed a page of messages at a time: REST answers without holding the document.
        stream: async (c, { services, principal }, { sessionId, format }) => {
          const doc = await services.exports.exportSession(principal, sessionId, format);
          c.header('Content-Type', doc.contentType);
          c.header('Content-Disposition', `attachment; filename="${doc.fileName}"`);
          return stream(c, async (out) => {
            for await (const chunk of doc.chunks) await out.write(chunk);
          });
        },
      },
      run: async ({ services, principal }, { sessionId, format }) => ({
        sessionId,
        format,
        document: await services.exports.exportToString(principal, sessionId, format),
      }),
      summary: (r) => `Export of session ${r.sessionId} (${r.format}).`,
      // The document itself is the readable text.
      document: (r) => r.document,
    }),
  ];
}
