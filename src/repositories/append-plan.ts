import type { Message } from '../domain/message.model.js';
import type { AppendResult, NewMessage } from './ports.js';

export interface AppendPlan {
  /** Messages to insert, with their seq numbers. */
  rows: Message[];
  result: AppendResult;
}

/**
 * Decides, for one append, which inputs are new and which replay an earlier message with the same
 * idempotency key (already stored, or earlier in the same batch). Shared by every adapter so their
 * behaviour cannot drift; the adapter supplies the locked message count and the stored keys.
 */
export function planAppend(
  tenantId: string,
  sessionId: string,
  inputs: NewMessage[],
  stored: Map<string, Message>,
  currentCount: number,
): AppendPlan {
  const rows: Message[] = [];
  const messages: Message[] = [];
  const created: boolean[] = [];
  const inBatch = new Map<string, Message>();
  for (const input of inputs) {
    const key = input.idempotencyKey;
    const earlier = key === null ? undefined : (stored.get(key) ?? inBatch.get(key));
    if (earlier) {
      messages.push(earlier);
      created.push(false);
      continue;
    }
    const row: Message = {
      id: input.id,
      sessionId,
      tenantId,
      role: input.role,
      content: input.content,
      metadata: input.metadata,
      seq: currentCount + rows.length + 1,
      idempotencyKey: key,
      createdAt: input.createdAt,
    };
    if (key !== null) inBatch.set(key, row);
    rows.push(row);
    messages.push(row);
    created.push(true);
  }
  return { rows, result: { messages, created } };
}
