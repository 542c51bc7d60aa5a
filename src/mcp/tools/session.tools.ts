import { z } from 'zod';
import type { Services } from '../../services/services.js';
import { idSchema } from '../../domain/common.model.js';
import { sessionOutputSchema, sessionPageSchema } from '../../domain/session.model.js';
import { defineTool, summaryWithJson, type ToolDef } from '../tool-registry.js';

const sessionId = idSchema.describe('Id of the session (a UUID returned by create_session or list_sessions)');

export function sessionTools({ sessions }: Services): ToolDef[] {
  const { schemas } = sessions;
  return [
    defineTool({
      name: 'create_session',
      title: 'Create session',
      description:
        'Start recording a development session. Returns the new session; pass its id to add_message. ' +
        'project groups sessions (letters, digits and . _ - / @ : only; default "default").',
      input: schemas.create,
      output: sessionOutputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      run: (args, principal) => sessions.create(principal, args),
      text: (s) => summaryWithJson(`Created session '${s.name}' (${s.id}) in project '${s.project}'.`, s),
    }),
    defineTool({
      name: 'get_session',
      title: 'Get session',
      description: 'Read one session: name, project, status, metadata, message count and timestamps.',
      input: z.strictObject({ sessionId }),
      output: sessionOutputSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => sessions.get(principal, args.sessionId),
      text: (s) => summaryWithJson(`Session '${s.name}' (${s.id}): ${s.status}, ${s.messageCount} message(s).`, s),
    }),
    defineTool({
      name: 'update_session',
      title: 'Update session',
      description:
        'Rename a session, change its status (active ⇄ ended, either → archived, archived → ended) or merge ' +
        'metadata (JSON Merge Patch: a key set to null is removed). Give at least one of name, status, metadata.',
      input: schemas.update.safeExtend({ sessionId }),
      output: sessionOutputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      run: ({ sessionId: id, ...patch }, principal) => sessions.update(principal, id, patch),
      text: (s) => summaryWithJson(`Updated session '${s.name}' (${s.id}): ${s.status}.`, s),
    }),
    defineTool({
      name: 'list_sessions',
      title: 'List sessions',
      description:
        'List sessions, newest first by default; filter by project, status and creation time. ' +
        'When nextCursor is not null, call again with cursor set to it for the next page.',
      input: schemas.list,
      output: sessionPageSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => sessions.list(principal, args),
      text: (page) =>
        summaryWithJson(
          `${page.items.length} session(s)${page.nextCursor ? '; more with the returned nextCursor' : ''}.`,
          page,
        ),
    }),
    defineTool({
      name: 'delete_session',
      title: 'Delete session',
      description: 'Delete a session and all its messages for good. Prefer update_session with status "archived".',
      input: z.strictObject({ sessionId }),
      output: z.object({ sessionId: z.string(), deleted: z.literal(true) }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
      run: async (args, principal) => {
        await sessions.delete(principal, args.sessionId);
        return { sessionId: args.sessionId, deleted: true as const };
      },
      text: (r) => `Deleted session ${r.sessionId} and its messages.`,
    }),
  ];
}
