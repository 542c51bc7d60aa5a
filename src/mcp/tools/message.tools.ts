import { z } from 'zod';
import type { Services } from '../../services/services.js';
import { idSchema } from '../../domain/common.model.js';
import { addedMessagesSchema, messageOutputSchema, messagePageSchema } from '../../domain/message.model.js';
import { defineTool, summaryWithJson, type ToolDef } from '../tool-registry.js';

const sessionId = idSchema.describe('Id of the session the messages belong to');

/**
 * One message and a batch are two tools rather than one tool with two shapes: each schema stays
 * flat and obvious to a model, and each answer has one output shape (as in REST).
 */
export function messageTools({ messages }: Services): ToolDef[] {
  const { schemas } = messages;
  return [
    defineTool({
      name: 'add_message',
      title: 'Add message',
      description:
        'Append one message (role user, assistant, system or tool) to a session; it gets the next seq number. ' +
        'Give an idempotencyKey to make retries safe: a repeated key returns the stored message (created: false).',
      input: z.strictObject({ sessionId, ...schemas.one.shape }),
      output: z.object({ message: messageOutputSchema, created: z.boolean() }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      run: ({ sessionId: id, ...message }, principal) => messages.add(principal, id, message),
      text: ({ message: m, created }) =>
        summaryWithJson(
          created ? `Stored message #${m.seq} (${m.role}).` : `Message #${m.seq} was already stored under this key.`,
          { message: m, created },
        ),
    }),
    defineTool({
      name: 'add_messages',
      title: 'Add messages (batch)',
      description:
        'Append several messages to a session in one transaction, in the order given: all are stored or none. ' +
        'Each may carry its own idempotencyKey. Use this instead of many add_message calls.',
      input: z.strictObject({ sessionId, ...schemas.batch.shape }),
      output: addedMessagesSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      run: async ({ sessionId: id, ...batch }, principal) => ({
        items: await messages.addBatch(principal, id, batch),
      }),
      text: (r) => {
        const seqs = r.items.map((i) => i.message.seq);
        const created = r.items.filter((i) => i.created).length;
        return summaryWithJson(`Stored ${created} of ${r.items.length} message(s), seq ${seqs.join(', ')}.`, r);
      },
    }),
    defineTool({
      name: 'get_messages',
      title: 'Get messages',
      description:
        'Read the messages of a session in seq order (asc by default). When nextCursor is not null, call ' +
        'again with cursor set to it for the next page.',
      input: z.strictObject({ sessionId, ...schemas.list.shape }),
      output: messagePageSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: ({ sessionId: id, ...query }, principal) => messages.list(principal, id, query),
      text: (page) =>
        summaryWithJson(
          `${page.items.length} message(s)${page.nextCursor ? '; more with the returned nextCursor' : ''}.`,
          page,
        ),
    }),
  ];
}
