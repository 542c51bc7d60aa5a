import { decodeCursor, encodeCursor } from '../core/cursor.js';
import { NotFoundError } from '../core/errors.js';
import type { AppEvents } from '../core/events.js';
import { uuidv7 } from '../core/ids.js';
import type { Principal } from '../core/principal.js';
import type { Page } from '../domain/common.model.js';
import type { AddMessageInput, ListMessagesQuery, Message } from '../domain/message.model.js';
import type { AppendResult, Store } from '../repositories/ports.js';
import type { Clock } from './session.service.js';

export interface AddedMessage {
  message: Message;
  /** False when the idempotency key matched an earlier message, which is returned instead. */
  created: boolean;
}

export interface MessageServiceOptions {
  /** (Default: the system clock) */
  clock?: Clock;
  /** Told `outbox:added` after a write stored new messages (the store queued their follow-ups). */
  events?: Pick<AppEvents, 'emit'>;
}

export class MessageService {
  private readonly clock: Clock;

  constructor(
    private readonly store: Store,
    private readonly options: MessageServiceOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  async add(principal: Principal, sessionId: string, data: AddMessageInput): Promise<AddedMessage> {
    const result = await this.append(principal, sessionId, [data]);
    return { message: result.messages[0] as Message, created: result.created[0] as boolean };
  }

  async addBatch(principal: Principal, sessionId: string, messages: AddMessageInput[]): Promise<AddedMessage[]> {
    const result = await this.append(principal, sessionId, messages);
    return result.messages.map((message, i) => ({ message, created: result.created[i] as boolean }));
  }

  async list(principal: Principal, sessionId: string, q: ListMessagesQuery): Promise<Page<Message>> {
    const after = q.cursor ? decodeCursor(q.cursor, { seq: 'seq' }).seq : undefined;
    const items = await this.store.messages.list(principal.tenantId, sessionId, {
      order: q.order,
      limit: q.limit + 1,
      afterSeq: after,
    });
    if (items.length === 0 && !(await this.store.sessions.get(principal.tenantId, sessionId))) {
      throw new NotFoundError('session', sessionId);
    }
    const more = items.length > q.limit;
    const page = more ? items.slice(0, q.limit) : items;
    const last = page[page.length - 1];
    return { items: page, nextCursor: more && last ? encodeCursor({ seq: last.seq }) : null };
  }

  /** Every message of a session in order, a page at a time, for exports that must not hold it all. */
  async *all(principal: Principal, sessionId: string, pageSize = 500): AsyncGenerator<Message> {
    let afterSeq = 0;
    for (;;) {
      const page = await this.store.messages.list(principal.tenantId, sessionId, {
        order: 'asc',
        limit: pageSize,
        afterSeq,
      });
      yield* page;
      const last = page[page.length - 1];
      if (!last || page.length < pageSize) return;
      afterSeq = last.seq;
    }
  }

  private async append(principal: Principal, sessionId: string, inputs: AddMessageInput[]): Promise<AppendResult> {
    const now = this.clock().toISOString();
    const result = await this.store.messages.append(
      principal.tenantId,
      sessionId,
      inputs.map((m) => ({
        id: uuidv7(),
        role: m.role,
        content: m.content,
        metadata: m.metadata,
        idempotencyKey: m.idempotencyKey ?? null,
        createdAt: m.createdAt ?? now,
      })),
      now,
    );
    if (result.created.some(Boolean)) this.options.events?.emit('outbox:added');
    return result;
  }
}
