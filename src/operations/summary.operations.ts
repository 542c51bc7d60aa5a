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
  generatedAt: z.string().describe('When this extractive summary was made'),
  stale: z
    .boolean()
    .describe(
      'Whether the stored summary was missing or behind the session (new messages, a status change) before this ' +
        'call; false when the stored one was returned as it was',
    ),
  llmSummary: z
    .object({
      text: z.string(),
      model: z.string(),
      generatedAt: z.string(),
      stale: z.boolean().describe('Written before the latest messages or from another version of them'),
    })
    .nullable()
    .describe('The LLM-written summary, when summaries.llm is enabled and the summarize-session job has run'),
});

export function summaryOperations(): Operation[] {
  return [
    defineOperation({
      name: 'summarize_session',
      title: 'Summarize session',
      description:
        'An extractive summary of a session, made offline and deterministically from its messages: goal, ' +
        'decisions, files touched, commands, errors seen (by signature, with counts), open TODOs and questions, ' +
        'outcome, duration and counts per role. Summaries are stored: the stored one is returned while no message ' +
        'was added and the status did not change since, else a new one is made and stored (the summarize-session ' +
        'job also refreshes them after writes and adds the optional LLM summary).',
      input: z.strictObject({
        sessionId: idSchema.describe('Id of the session to summarize'),
        refresh: z
          .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
          .optional()
          .describe('Make and store a new summary even when the stored one is fresh'),
      }),
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
      run: ({ services, principal }, { sessionId, refresh }) =>
        services.summaries.summarize(principal, sessionId, refresh === true),
      summary: (s) =>
        `Session '${s.name}': ${s.counts.messages} message(s) over ${s.durationSeconds}s; ${s.decisions.length} ` +
        `decision(s), ${s.filesTouched.length} file(s), ${s.errors.length} error signature(s), ` +
        `${s.openItems.length} open item(s).`,
    }),
  ];
}
