import { addedMessagesSchema, messageOutputSchema, messagePageSchema } from '../../domain/message.model.js';
import type { MessageService } from '../../services/message.service.js';
import type { RouteDef } from '../route.js';

export function messageRoutes(messages: MessageService): RouteDef[] {
  const { schemas } = messages;
  return [
    {
      method: 'post',
      path: '/v1/sessions/:id/messages',
      operationId: 'addMessage',
      summary:
        'Add a message. With an idempotencyKey a retried request returns the stored message (200, Idempotent-Replayed: true) instead of storing it twice.',
      tag: 'messages',
      body: schemas.one,
      responses: {
        201: { description: 'Stored', schema: messageOutputSchema },
        200: { description: 'Replay of an earlier request with the same idempotencyKey', schema: messageOutputSchema },
      },
      handler: async (c, { principal, params, body }) => {
        const { message, created } = await messages.add(principal, params.id as string, body);
        if (!created) c.header('Idempotent-Replayed', 'true');
        return c.json(message, created ? 201 : 200);
      },
    },
    {
      method: 'post',
      path: '/v1/sessions/:id/messages/batch',
      operationId: 'addMessages',
      summary: 'Add several messages in one transaction, in order (bounded by limits.batchMessages)',
      tag: 'messages',
      body: schemas.batch,
      responses: { 201: { description: 'Stored or replayed, one entry per input', schema: addedMessagesSchema } },
      handler: async (c, { principal, params, body }) => {
        const items = await messages.addBatch(principal, params.id as string, body);
        return c.json({ items }, items.some((i) => i.created) ? 201 : 200);
      },
    },
    {
      method: 'get',
      path: '/v1/sessions/:id/messages',
      operationId: 'listMessages',
      summary: 'List the messages of a session in seq order (cursor pagination)',
      tag: 'messages',
      query: schemas.list,
      responses: { 200: { description: 'A page of messages', schema: messagePageSchema } },
      handler: async (c, { principal, params, query }) =>
        c.json(await messages.list(principal, params.id as string, query)),
    },
  ];
}
