import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import {
  metadataSchema,
  pageQuery,
  projectSchema,
  TAG_LIMITS,
  tagListQuery,
  tagsSchema,
  timestampSchema,
} from './common.model.js';

export interface Reflection {
  id: string;
  tenantId: string;
  project: string;
  sessionId: string | null;
  content: string;
  /** sha256 of the normalised content: the key of exact-duplicate detection. */
  contentHash: string;
  tags: string[];
  /** 0..1, caller-assigned. */
  importance: number;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** Lowercase, whitespace collapsed, trimmed: two reflections equal after this are the same reflection. */
export function normalizeContent(content: string): string {
  return content.toLowerCase().replace(/\s+/gu, ' ').trim();
}

export function contentHash(content: string): string {
  return createHash('sha256').update(normalizeContent(content)).digest('hex');
}

// Reflections are short insights, not transcripts: a tighter cap than messages keeps embeddings meaningful.
export const REFLECTION_LIMITS = { contentChars: 20_000, ...TAG_LIMITS } as const;

const contentSchema = z
  .string()
  .min(1)
  .max(REFLECTION_LIMITS.contentChars)
  .refine((s) => s.trim() !== '', {
    message: 'must not be blank',
  });

export function reflectionSchemas(limits: Config['limits']) {
  const create = z.strictObject({
    content: contentSchema,
    project: projectSchema.default('default'),
    sessionId: z.uuid({ message: 'must be a UUID' }).optional(),
    tags: tagsSchema.default([]),
    importance: z.number().min(0).max(1).default(0.5),
    metadata: metadataSchema(limits.metadataBytes).default({}),
  });
  const update = z
    .strictObject({
      content: contentSchema.optional(),
      tags: tagsSchema.optional(),
      importance: z.number().min(0).max(1).optional(),
      /** Replaces the metadata object. */
      metadata: metadataSchema(limits.metadataBytes).optional(),
    })
    .refine((v) => Object.keys(v).length > 0, { message: 'must change at least one field' });
  const filters = {
    project: projectSchema.optional(),
    sessionId: z.uuid({ message: 'must be a UUID' }).optional(),
    tags: tagListQuery.optional(),
    tagsMode: z.enum(['any', 'all']).default('any'),
    from: timestampSchema.optional(),
    to: timestampSchema.optional(),
  };
  const list = z.strictObject({
    ...filters,
    order: z.enum(['asc', 'desc']).default('desc'),
    ...pageQuery(limits.pageSize),
  });
  const stats = z.strictObject({ project: projectSchema.optional() });
  return { create, update, list, stats, filters };
}

export type ReflectionSchemas = ReturnType<typeof reflectionSchemas>;
export type CreateReflectionInput = z.output<ReflectionSchemas['create']>;
export type UpdateReflectionInput = z.output<ReflectionSchemas['update']>;
export type ListReflectionsQuery = z.output<ReflectionSchemas['list']>;

export const reflectionOutputSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  project: z.string(),
  sessionId: z.string().nullable(),
  content: z.string(),
  contentHash: z.string(),
  tags: z.array(z.string()),
  importance: z.number(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const storedReflectionSchema = z.object({
  reflection: reflectionOutputSchema,
  created: z.boolean(),
  nearDuplicates: z.array(z.object({ id: z.string(), similarity: z.number() })),
  nearDuplicateCheck: z.enum(['done', 'unavailable']),
});

export const reflectionPageSchema = z.object({
  items: z.array(reflectionOutputSchema),
  nextCursor: z.string().nullable(),
});

export const reflectionStatsSchema = z.object({
  total: z.number().int(),
  byTag: z.record(z.string(), z.number().int()),
  byProject: z.record(z.string(), z.number().int()),
  byDay: z.array(z.object({ period: z.string(), count: z.number().int() })),
  byWeek: z.array(z.object({ period: z.string(), count: z.number().int() })),
  embeddings: z.record(z.string(), z.number().int()),
  activeModel: z.string(),
  coverage: z.number(),
});
