import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import { metadataSchema, pageQuery, timestampSchema } from './common.model.js';

export const MESSAGE_ROLES = ['user', 'assistant', 'system', 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

export interface Message {
  id: string;
  sessionId: string;
  tenantId: string;
  role: MessageRole;
  content: string;
  metadata: Record<string, unknown>;
  /** Position in the session, from 1, gap-free. */
  seq: number;
  idempotencyKey: string | null;
  createdAt: string;
}

export function messageSchemas(limits: Config['limits']) {
  const one = z.strictObject({
    role: z.enum(MESSAGE_ROLES),
    content: z
      .string()
      .min(1)
      .max(limits.messageContentChars)
      .refine((text) => text.trim() !== '', 'must not be blank (only whitespace)'),
    metadata: metadataSchema(limits.metadataBytes).default({}),
    /** A client-chosen key: a retried request with the same key never stores a second copy. */
    idempotencyKey: z.string().min(1).max(200).optional(),
    /**
     * When the message was written, for imported history (default: now). Not in the future beyond the skew. It does
     * not change `seq`, which stays the arrival order.
     */
    createdAt: messageTimeSchema(limits.messageTimeSkewSeconds).optional(),
  });
  const batch = z.strictObject({
    messages: z.array(one).min(1).max(limits.batchMessages),
  });
  const list = z.strictObject({
    order: z.enum(['asc', 'desc']).default('asc'),
    ...pageQuery(limits.pageSize),
  });
  return { one, batch, list };
}

/** A client-given message time: an ISO 8601 instant with a zone (0001–9999), at most `skewSeconds` ahead of now. */
export function messageTimeSchema(skewSeconds: number) {
  return timestampSchema.refine(
    (value) => Date.parse(value) <= Date.now() + skewSeconds * 1000,
    `must not be more than ${skewSeconds} seconds in the future`,
  );
}

export type MessageSchemas = ReturnType<typeof messageSchemas>;
export type AddMessageInput = z.output<MessageSchemas['one']>;
export type ListMessagesQuery = z.output<MessageSchemas['list']>;

/** The shape of a message in responses (OpenAPI, MCP output schemas). */
export const messageOutputSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  tenantId: z.string(),
  role: z.enum(MESSAGE_ROLES),
  content: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  seq: z.number().int(),
  idempotencyKey: z.string().nullable(),
  createdAt: z.string(),
});

export const messagePageSchema = z.object({
  items: z.array(messageOutputSchema),
  nextCursor: z.string().nullable(),
});

export const addedMessagesSchema = z.object({
  items: z.array(z.object({ message: messageOutputSchema, created: z.boolean() })),
});
