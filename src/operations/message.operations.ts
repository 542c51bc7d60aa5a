import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import { idSchema } from '../domain/common.model.js';
import {
  addedMessagesSchema,
  messageOutputSchema,
  messagePageSchema,
  messageSchemas,
} from '../domain/message.model.js';
import { CREATE, defineOperation, moreNote, type Operation, READ } from './operation.js';

const sessionId = idSchema.describe('Id of the session the messages belong to');
const byId = { id: 'sessionId' };

/**
 * One message and a batch are two operations rather than one with two shapes: each schema stays flat and
 * obvious to a model, and each answer has one output shape.
 */
export function messageOperations(limits: Config['limits']): Operation[] {
  const schemas = messageSchemas(limits);
  return [
    defineOperation({
      name: 'add_message',
      title: 'Add message',
      description:
        'Append one message (role user, assistant, system or tool) to a session; it gets the next seq number. ' +
        'Give an idempotency_key to make retries safe: a repeated key returns the stored message (created: false). ' +
        'created_at (optional, ISO 8601 with zone, not in the future) dates imported history; default now.',
      input: schemas.one.safeExtend({ sessionId }),
      output: z.object({ message: messageOutputSchema, created: z.boolean() }),
      annotations: CREATE,
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/sessions/:id/messages',
        operationId: 'addMessage',
        tag: 'messages',
        params: byId,
        responses: {
          201: { description: 'Stored', schema: messageOutputSchema },
          200: {
            description: 'Replay of an earlier request with the same idempotencyKey (Idempotent-Replayed: true)',
            schema: messageOutputSchema,
          },
        },
        respond: (c, { message, created }) => {
          if (!created) c.header('Idempotent-Replayed', 'true');
          return c.json(message, created ? 201 : 200);
        },
      },
      run: ({ services, principal }, { sessionId: id, ...message }) => services.messages.add(principal, id, message),
      summary: ({ message: m, created }) =>
        created ? `Stored message #${m.seq} (${m.role}).` : `Message #${m.seq} was already stored under this key.`,
    }),
    defineOperation({
      name: 'add_messages',
      title: 'Add messages (batch)',
      description:
        'Append several messages to a session in one transaction, in the order given: all are stored or none. ' +
        `Each may carry its own idempotency_key and created_at (at most ${limits.batchMessages} messages). ` +
        'seq follows the order given, whatever the created_at. Use this instead of many ' +
        'add_message calls.',
      input: schemas.batch.safeExtend({ sessionId }),
      output: addedMessagesSchema,
      annotations: CREATE,
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/sessions/:id/messages/batch',
        operationId: 'addMessages',
        tag: 'messages',
        params: byId,
        responses: { 201: { description: 'Stored or replayed, one entry per input', schema: addedMessagesSchema } },
        respond: (c, result) => c.json(result, result.items.some((i) => i.created) ? 201 : 200),
      },
      run: async ({ services, principal }, { sessionId: id, messages }) => ({
        items: await services.messages.addBatch(principal, id, messages),
      }),
      summary: (r) => {
        const seqs = r.items.map((i) => i.message.seq);
        const created = r.items.filter((i) => i.created).length;
        return `Stored ${created} of ${r.items.length} message(s), seq ${seqs.join(', ')}.`;
      },
    }),
    defineOperation({
      name: 'get_messages',
      title: 'Get messages',
      description:
        'Read the messages of a session in seq order (asc by default). When next_cursor is not null, call ' +
        'again with cursor set to it for the next page.',
      input: schemas.list.safeExtend({ sessionId }),
      output: messagePageSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/sessions/:id/messages',
        operationId: 'listMessages',
        tag: 'messages',
        params: byId,
      },
      run: ({ services, principal }, { sessionId: id, ...query }) => services.messages.list(principal, id, query),
      summary: (page) => `${page.items.length} message(s)${moreNote(page)}.`,
    }),
  ];
}
