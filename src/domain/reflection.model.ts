import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import {
  idSchema,
  metadataSchema,
  pageQuery,
  projectSchema,
  TAG_LIMITS,
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

/**
 * A tag filter: a list (MCP, JSON) or one comma-separated string (a query string, a CLI flag), as tags are
 * stored: trimmed, lowercased, repeats removed.
 */
const tagFilter = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').filter((t) => t.trim() !== '') : v),
  tagsSchema,
);

/** One input schema per reflection operation: REST bodies and query strings, MCP arguments, CLI flags. */
export function reflectionSchemas(limits: Config['limits']) {
  const create = z.strictObject({
    content: contentSchema.describe('The insight, decision or lesson, in plain words'),
    project: projectSchema.default('default').describe('Project it belongs to (default: default)'),
    sessionId: idSchema.optional().describe('The session it came from'),
    tags: tagsSchema.default([]),
    importance: z.number().min(0).max(1).default(0.5).describe('0 to 1 (default 0.5)'),
    metadata: metadataSchema(limits.metadataBytes).default({}),
    waitForNearDuplicates: z
      .boolean()
      .optional()
      .describe(
        'true: embed now and list near duplicates in the answer (slower); default: embed in the background ' +
          '(near_duplicate_check pending; get_near_duplicates answers later)',
      ),
  });
  const update = z
    .strictObject({
      content: contentSchema.optional(),
      tags: tagsSchema.optional(),
      importance: z.number().min(0).max(1).optional(),
      /** Replaces the metadata object. */
      metadata: metadataSchema(limits.metadataBytes).optional().describe('Replaces the metadata object'),
    })
    .refine((v) => Object.keys(v).length > 0, { message: 'must change at least one field' });
  const filters = {
    project: projectSchema.optional().describe('Only this project'),
    sessionId: idSchema.optional().describe('Only reflections of this session'),
    tags: tagFilter.optional().describe('Tags, as a list or comma-separated'),
    tagsMode: z.enum(['any', 'all']).default('any').describe('any (default): one of the tags; all: every tag'),
    from: timestampSchema.optional().describe('Created at or after (ISO 8601 date-time)'),
    to: timestampSchema.optional().describe('Created before (ISO 8601 date-time)'),
  };
  const list = z.strictObject({
    ...filters,
    order: z.enum(['asc', 'desc']).default('desc'),
    ...pageQuery(limits.pageSize),
  });
  const stats = z.strictObject({ project: projectSchema.optional().describe('Only this project') });
  return { create, update, list, stats, filters };
}

export type ReflectionSchemas = ReturnType<typeof reflectionSchemas>;
export type CreateReflectionInput = z.output<ReflectionSchemas['create']>;
export type UpdateReflectionInput = z.output<ReflectionSchemas['update']>;
export type ListReflectionsQuery = z.output<ReflectionSchemas['list']>;
export type ReflectionStatsQuery = z.output<ReflectionSchemas['stats']>;
/** The filters of a listing or an export. */
export type ReflectionFilters = Omit<ListReflectionsQuery, 'order' | 'limit' | 'cursor'>;

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
  nearDuplicateCheck: z.enum(['done', 'pending', 'unavailable']),
});

export const nearDuplicatesSchema = z.object({
  reflectionId: z.string(),
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
  messages: z
    .object({ total: z.number().int(), embedded: z.number().int(), coverage: z.number() })
    .describe('Messages of the same scope (project or all) and how many are searchable by meaning (activeModel)'),
});
