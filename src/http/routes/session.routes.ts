import { stream } from 'hono/streaming';
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import { sessionOutputSchema, sessionPageSchema } from '../../domain/session.model.js';
import type { ExportService } from '../../services/export.service.js';
import type { SessionService } from '../../services/session.service.js';
import type { RouteDef } from '../route.js';

const exportQuery = z.strictObject({ format: z.enum(['json', 'markdown']).default('json') });

export function sessionRoutes(sessions: SessionService, exports: ExportService): RouteDef[] {
  const { schemas } = sessions;
  return [
    {
      method: 'post',
      path: '/v1/sessions',
      operationId: 'createSession',
      summary: 'Create a session',
      tag: 'sessions',
      body: schemas.create,
      responses: { 201: { description: 'Created', schema: sessionOutputSchema } },
      handler: async (c, { principal, body }) => {
        const session = await sessions.create(principal, body);
        c.header('Location', `/v1/sessions/${session.id}`);
        return c.json(session, 201);
      },
    },
    {
      method: 'get',
      path: '/v1/sessions',
      operationId: 'listSessions',
      summary: 'List sessions (filter by project, status, creation time; cursor pagination)',
      tag: 'sessions',
      query: schemas.list,
      responses: { 200: { description: 'A page of sessions', schema: sessionPageSchema } },
      handler: async (c, { principal, query }) => c.json(await sessions.list(principal, query)),
    },
    {
      method: 'get',
      path: '/v1/sessions/:id',
      operationId: 'getSession',
      summary: 'Get a session',
      tag: 'sessions',
      responses: { 200: { description: 'The session', schema: sessionOutputSchema } },
      handler: async (c, { principal, params }) => c.json(await sessions.get(principal, params.id as string)),
    },
    {
      method: 'patch',
      path: '/v1/sessions/:id',
      operationId: 'updateSession',
      summary: 'Update name or status; metadata is merged (JSON Merge Patch: null removes a key)',
      tag: 'sessions',
      body: schemas.update,
      responses: { 200: { description: 'The updated session', schema: sessionOutputSchema } },
      handler: async (c, { principal, params, body }) =>
        c.json(await sessions.update(principal, params.id as string, body)),
    },
    {
      method: 'delete',
      path: '/v1/sessions/:id',
      operationId: 'deleteSession',
      summary: 'Delete a session and all its messages',
      tag: 'sessions',
      responses: { 204: { description: 'Deleted' } },
      handler: async (c, { principal, params }) => {
        await sessions.delete(principal, params.id as string);
        return c.body(null, 204);
      },
    },
    {
      method: 'get',
      path: '/v1/sessions/:id/export',
      operationId: 'exportSession',
      summary: 'Export a session with all its messages as JSON or Markdown (streamed)',
      tag: 'sessions',
      query: exportQuery,
      responses: {
        200: { description: 'The export document', contentType: 'application/json, text/markdown' },
      },
      handler: async (c, { principal, params, query }) => {
        const parsed = exportQuery.safeParse(query);
        if (!parsed.success) throw ValidationError.fromZod(parsed.error, 'query');
        const doc = await exports.exportSession(principal, params.id as string, parsed.data.format);
        c.header('Content-Type', doc.contentType);
        c.header('Content-Disposition', `attachment; filename="${doc.fileName}"`);
        return stream(c, async (out) => {
          for await (const chunk of doc.chunks) await out.write(chunk);
        });
      },
    },
  ];
}
