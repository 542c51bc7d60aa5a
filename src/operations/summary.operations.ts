import { z } from 'zod';
import { idSchema } from '../domain/common.model.js';
import { MESSAGE_ROLES } from '../domain/message.model.js';
import { SESSION_STATUSES } from '../domain/session.model.js';
import { defineOperation, type Operation, READ } from './operation.js';

const roleCounts = z.object(
  Object.fromEntries(MESSAGE_ROLES.map((r) => [r, z.number().int()])) as Record<
    (typeof MESSAGE_ROLES)[number],
    z.ZodNumber
  >,
);

export const sessionSummarySchema = z.object({
  sessionId: z.string(),
  project: z.string(),
  name: z.string(),
  status: z.enum(SESSION_STATUSES),
  goal: z.string().nullable().describe("The first user message's opening"),
  decisions: z.array(z.string()).describe('Sentences that record a choice, oldest first'),
  filesTouched: z.array(z.object({ path: z.string(), mentions: z.number().int() })),
  commands: z.array(z.string()),
  errors: z.array(z.object({ line: z.string(), count: z.number().int() })),
  openItems: z.array(z.string()).describe('TODO/FIXME lines and questions the last message left open'),
  outcome: z.string().nullable().describe("The last assistant message's opening"),
  counts: z.object({ messages: z.number().int(), chars: z.number().int(), byRole: roleCounts }),
  startedAt: z.string().nullable(),
  lastMessageAt: z.string().nullable(),
  durationSeconds: z.number().int(),
});

export function summaryOperations(): Operation[] {
  return [
    defineOperation({
      name: 'summarize_session',
      title: 'Summarize session',
      description:
        'An extractive summary of a session, made offline and deterministically from its messages: goal, ' +
        'decisions, files touched, commands, errors seen (by signature, with counts), open TODOs and questions, ' +
        'outcome, duration and counts per role.',
      input: z.strictObject({ sessionId: idSchema.describe('Id of the session to summarize') }),
      output: sessionSummarySchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/sessions/:id/summary',
        operationId: 'summarizeSession',
        tag: 'sessions',
        params: { id: 'sessionId' },
      },
      run: ({ services, principal }, { sessionId }) => services.summaries.summarize(principal, sessionId),
      summary: (s) =>
        `Session '${s.name}': ${s.counts.messages} message(s) over ${s.durationSeconds}s; ${s.decisions.length} ` +
        `decision(s), ${s.filesTouched.length} file(s), ${s.errors.length} error signature(s), ` +
        `${s.openItems.length} open item(s).`,
    }),
  ];
}
