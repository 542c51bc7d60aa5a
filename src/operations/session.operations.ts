import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import { idSchema } from '../domain/common.model.js';
import { sessionOutputSchema, sessionPageSchema, sessionSchemas } from '../domain/session.model.js';
import { CREATE, DELETE, defineOperation, moreNote, type Operation, READ, UPDATE } from './operation.js';

const sessionId = idSchema.describe('Id of the session (a UUID returned by create_session or list_sessions)');
const byId = { id: 'sessionId' };

export function sessionOperations(limits: Config['limits']): Operation[] {
  const schemas = sessionSchemas(limits);
  return [
    defineOperation({
      name: 'create_session',
      title: 'Create session',
      description:
        'Start recording a development session. Returns the new session; pass its id to add_message. ' +
        'project groups sessions (letters, digits and . _ - / @ : only); without it, metadata.project names it, ' +
        'else "default". A session delegated by another (a sub-agent, another project) names it in parent_session_id; ' +
        'workflow_id groups the sessions of one orchestrated workflow (list_workflow_sessions).',
      input: schemas.create,
      output: sessionOutputSchema,
      annotations: CREATE,
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/sessions',
        operationId: 'createSession',
        tag: 'sessions',
        status: 201,
        respond: (c, session) => {
          c.header('Location', `/v1/sessions/${session.id}`);
          return c.json(session, 201);
        },
      },
      run: ({ services, principal }, input) => services.lifecycle.createSession(principal, input),
      summary: (s) => `Created session '${s.name}' (${s.id}) in project '${s.project}'.`,
    }),
    defineOperation({
      name: 'get_session',
      title: 'Get session',
      description: 'Read one session: name, project, status, metadata, message count and timestamps.',
      input: z.strictObject({ sessionId }),
      output: sessionOutputSchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/sessions/:id', operationId: 'getSession', tag: 'sessions', params: byId },
      run: ({ services, principal }, input) => services.sessions.get(principal, input.sessionId),
      summary: (s) => `Session '${s.name}' (${s.id}): ${s.status}, ${s.messageCount} message(s).`,
    }),
    defineOperation({
      name: 'update_session',
      title: 'Update session',
      description:
        'Rename a session, change its status (active ⇄ ended, either → archived, archived → ended) or merge ' +
        'metadata (JSON Merge Patch: a key set to null is removed). Give at least one of name, status, metadata.',
      input: schemas.update.safeExtend({ sessionId }),
      output: sessionOutputSchema,
      annotations: UPDATE,
      scope: 'write',
      rest: {
        method: 'patch',
        path: '/v1/sessions/:id',
        operationId: 'updateSession',
        tag: 'sessions',
        params: byId,
      },
      run: ({ services, principal }, { sessionId: id, ...patch }) => services.sessions.update(principal, id, patch),
      summary: (s) => `Updated session '${s.name}' (${s.id}): ${s.status}.`,
    }),
    defineOperation({
      name: 'list_sessions',
      title: 'List sessions',
      description:
        'List sessions, newest first by default; filter by project, status and creation time. ' +
        'When next_cursor is not null, call again with cursor set to it for the next page.',
      input: schemas.list,
      output: sessionPageSchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/sessions', operationId: 'listSessions', tag: 'sessions' },
      run: ({ services, principal }, input) => services.sessions.list(principal, input),
      summary: (page) => `${page.items.length} session(s)${moreNote(page)}.`,
    }),
    defineOperation({
      name: 'delete_session',
      title: 'Delete session',
      description: 'Delete a session and all its messages for good. Prefer update_session with status "archived".',
      input: z.strictObject({ sessionId }),
      output: z.object({ sessionId: z.string(), deleted: z.literal(true) }),
      annotations: DELETE,
      scope: 'write',
      rest: {
        method: 'delete',
        path: '/v1/sessions/:id',
        operationId: 'deleteSession',
        tag: 'sessions',
        params: byId,
        responses: { 204: { description: 'Deleted' } },
        respond: (c) => c.body(null, 204),
      },
      run: async ({ services, principal }, { sessionId: id }) => {
        await services.sessions.delete(principal, id);
        return { sessionId: id, deleted: true as const };
      },
      summary: (r) => `Deleted session ${r.sessionId} and its messages.`,
    }),
  ];
}
