import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import { metadataSchema, pageQuery, projectSchema, TAG_LIMITS, tagListQuery, tagsSchema } from './common.model.js';

export const PATTERN_KINDS = ['best-practice', 'anti-pattern', 'convention', 'recurring-error'] as const;
export type PatternKind = (typeof PATTERN_KINDS)[number];
export const PATTERN_SOURCES = ['manual', 'detected'] as const;
export type PatternSource = (typeof PATTERN_SOURCES)[number];

/** Why a detected pattern exists: what the detector saw, bounded. Null on manual patterns. */
export interface PatternEvidence {
  detector: 'embedding-cluster' | 'error-signature';
  /** Items (messages, reflections) in the largest occurrence any run saw. */
  itemCount: number;
  /** Distinct sessions (a reflection without a session counts as its own). */
  sessionCount: number;
  /** Most recent first, at most EVIDENCE_LIMITS.sessionIds. */
  sessionIds: string[];
  /** Items that show the pattern, at most EVIDENCE_LIMITS.samples. */
  samples: Array<{ type: 'message' | 'reflection'; id: string }>;
  firstSeen: string;
  lastSeen: string;
  /** Embedding model of the cluster (embedding-cluster only). */
  model?: string;
  /** Normalised error line (error-signature only). */
  signature?: string;
}

export interface Pattern {
  id: string;
  tenantId: string;
  /** Null: the pattern applies to the whole tenant. */
  project: string | null;
  name: string;
  description: string;
  kind: PatternKind;
  examples: string[];
  tags: string[];
  source: PatternSource;
  /** Detected patterns only: the stable identity re-detection updates instead of inserting. */
  fingerprint: string | null;
  evidence: PatternEvidence | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export const PATTERN_LIMITS = {
  nameChars: 200,
  descriptionChars: 10_000,
  examples: 20,
  exampleChars: 2_000,
  ...TAG_LIMITS,
} as const;
export const EVIDENCE_LIMITS = { sessionIds: 50, samples: 10 } as const;

/** Names are unique per tenant and project after lowercasing and collapsing whitespace. */
export function patternNameKey(name: string): string {
  return name.toLowerCase().replace(/\s+/gu, ' ').trim();
}

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => s.trim() !== '', { message: 'must not be blank' });

export function patternSchemas(limits: Config['limits']) {
  const create = z.strictObject({
    name: text(PATTERN_LIMITS.nameChars)
      .transform((s) => s.trim())
      .describe('Short name, unique in the project (case and whitespace aside)'),
    description: text(PATTERN_LIMITS.descriptionChars).describe('What the pattern is and why it matters'),
    kind: z.enum(PATTERN_KINDS),
    examples: z.array(text(PATTERN_LIMITS.exampleChars)).max(PATTERN_LIMITS.examples).default([]),
    tags: tagsSchema.default([]),
    /** Omitted: the pattern applies to the whole tenant. */
    project: projectSchema.optional().describe('Project it applies to; omitted: the whole tenant'),
    metadata: metadataSchema(limits.metadataBytes).default({}),
  });
  const find = z.strictObject({
    /** Full text over name, description and examples (stemmed); omitted: newest first. */
    q: z
      .string()
      .trim()
      .min(1)
      .max(1_000)
      .optional()
      .describe('Words to look for in name, description and examples; omitted: newest first'),
    project: projectSchema.optional(),
    kind: z.enum(PATTERN_KINDS).optional(),
    source: z.enum(PATTERN_SOURCES).optional().describe('manual (stored by someone) or detected (found by the job)'),
    /** A list, or one comma-separated string (a query string). */
    tags: z.union([tagsSchema, tagListQuery]).optional().describe('Tags, as a list or comma-separated'),
    tagsMode: z.enum(['any', 'all']).default('any').describe('any (default): one of the tags; all: every tag'),
    ...pageQuery(limits.pageSize),
  });
  const detect = z.strictObject({
    project: projectSchema.optional().describe('Only the sessions of this project; omitted: the whole tenant'),
  });
  return { create, find, detect };
}

export type PatternSchemas = ReturnType<typeof patternSchemas>;
export type CreatePatternInput = z.output<PatternSchemas['create']>;
export type FindPatternsQuery = z.output<PatternSchemas['find']>;
export type DetectPatternsInput = z.output<PatternSchemas['detect']>;

const evidenceOutputSchema = z.object({
  detector: z.enum(['embedding-cluster', 'error-signature']),
  itemCount: z.number().int(),
  sessionCount: z.number().int(),
  sessionIds: z.array(z.string()),
  samples: z.array(z.object({ type: z.enum(['message', 'reflection']), id: z.string() })),
  firstSeen: z.string(),
  lastSeen: z.string(),
  model: z.string().optional(),
  signature: z.string().optional(),
});

export const patternOutputSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  project: z.string().nullable(),
  name: z.string(),
  description: z.string(),
  kind: z.enum(PATTERN_KINDS),
  examples: z.array(z.string()),
  tags: z.array(z.string()),
  source: z.enum(PATTERN_SOURCES),
  fingerprint: z.string().nullable(),
  evidence: evidenceOutputSchema.nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const storedPatternSchema = z.object({ pattern: patternOutputSchema, created: z.boolean() });

export const patternPageSchema = z.object({
  items: z.array(patternOutputSchema),
  nextCursor: z.string().nullable(),
});

export const detectionQueuedSchema = z.object({
  jobId: z.string(),
  queue: z.string(),
  project: z.string().nullable(),
});
