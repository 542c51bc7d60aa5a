import { z } from 'zod';
import { idSchema, projectSchema, TAG_LIMITS, timestampSchema } from './common.model.js';
import { MESSAGE_ROLES, type Message, messageOutputSchema } from './message.model.js';
import { type Reflection, reflectionOutputSchema } from './reflection.model.js';

// Search over reflections and messages (served by SearchService).

export const SEARCH_MODES = ['hybrid', 'semantic', 'keyword'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** What a search covers: `all` merges reflections and messages by score. */
export const SEARCH_SCOPES = ['all', 'reflections', 'messages'] as const;
export type SearchScope = (typeof SEARCH_SCOPES)[number];
export type ItemKind = 'reflection' | 'message';

/**
 * A tag filter: a list (MCP, JSON) or one comma-separated string (a query string, a CLI flag). Tags are
 * trimmed and lowercased; empty ones are dropped, repeats removed.
 */
const tagList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',') : v),
  z
    .array(z.string().trim().toLowerCase().max(TAG_LIMITS.tagChars))
    .max(TAG_LIMITS.tags)
    .transform((tags) => [...new Set(tags)].filter((t) => t !== '')),
);
const queryText = z.string().trim().min(1).max(1_000).describe('What to look for, in plain words');
const filterFields = {
  project: projectSchema.optional().describe('Only this project'),
  sessionId: idSchema.optional().describe('Only this session'),
  from: timestampSchema.optional().describe('ISO 8601 date-time, inclusive'),
  to: timestampSchema.optional().describe('ISO 8601 date-time, exclusive'),
};
const tagFields = {
  /** Reflections only (messages have no tags). */
  tags: tagList.optional().describe('Tags, as a list or comma-separated; reflections only (messages have no tags)'),
  tagsMode: z.enum(['any', 'all']).default('any').describe('any (default): one of the tags; all: every tag'),
};
const scoring = {
  /** Hits scoring below this are dropped (see SearchHit.score for what the score means per mode). */
  minScore: z.coerce.number().min(0).max(1).default(0).describe('Drop hits scoring below this (0..1)'),
  /** Multiply scores by 0.5^(age / half-life): an item this many days old counts half. */
  halfLifeDays: z.coerce
    .number()
    .positive()
    .max(36_500)
    .optional()
    .describe('Favour recent items: score halves every N days'),
};
const limit = (fallback: number, max = 100) => z.coerce.number().int().min(1).max(max).default(fallback);
const mode = z.enum(SEARCH_MODES).default('hybrid').describe('hybrid (default), semantic or keyword');
const common = {
  q: queryText,
  mode,
  limit: limit(10).describe('Hits returned (default 10)'),
  ...scoring,
  ...filterFields,
};
const scope = z.enum(SEARCH_SCOPES).default('all').describe('all (default), reflections or messages');

/** Messages have no tags: asking for tagged messages is a mistake worth naming, not an empty answer. */
function tagsNeedReflections(v: { kind: SearchScope; tags?: string[] }, ctx: z.RefinementCtx): void {
  if (v.kind === 'messages' && v.tags?.length) {
    ctx.addIssue({ code: 'custom', path: ['tags'], message: 'messages have no tags: use kind=reflections or all' });
  }
}

// One input schema per search operation: query strings (numbers and lists as text) and MCP arguments (JSON).

export const reflectionSearchSchema = z.strictObject({ ...common, ...tagFields });
export const messageSearchSchema = z.strictObject(common);
/** Reflections and messages in one list; with tags only reflections can match. */
export const searchSchema = z.strictObject({ ...common, ...tagFields, kind: scope }).superRefine(tagsNeedReflections);
export const quickSearchSchema = z
  .strictObject({ q: queryText, mode, ...scoring, ...filterFields, ...tagFields, kind: scope })
  .superRefine(tagsNeedReflections);
export const fileSearchSchema = z
  .strictObject({
    /** A file or folder path, whole or its tail: `app.ts`, `src/app.ts`, `src/` (a leading `./` is ignored). */
    path: z
      .string()
      .trim()
      .max(500)
      .transform((p) => p.replace(/^(\.\/)+/, ''))
      .pipe(
        z
          .string()
          .min(1, 'must name a file or folder')
          // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
          .regex(/^[^\u0000-\u001f\u007f]+$/, 'must be one line without control characters'),
      )
      .describe('A file or folder path, whole or its tail (src/app.ts, app.ts, src/)'),
    kind: scope,
    limit: limit(20).describe('Items returned (default 20)'),
    ...filterFields,
    ...tagFields,
  })
  .superRefine(tagsNeedReflections);
export const conceptSearchSchema = z
  .strictObject({
    concept: queryText.describe('The idea to look for, in a few words'),
    kind: scope,
    limit: limit(10).describe('Hits of each kind (default 10)'),
    ...scoring,
    ...filterFields,
    ...tagFields,
  })
  .superRefine(tagsNeedReflections);
export const conversationSearchSchema = z.strictObject({
  ...common,
  /** Sessions returned. */
  limit: limit(5, 50).describe('Sessions returned (default 5)'),
  /** Matching messages shown per session. */
  perSession: limit(3, 20).describe('Matching messages shown per session (default 3)'),
});

export type SearchQuery = z.output<typeof searchSchema>;
export type ReflectionSearchQuery = z.output<typeof reflectionSearchSchema>;
export type MessageSearchQuery = z.output<typeof messageSearchSchema>;
export type QuickSearchQuery = z.output<typeof quickSearchSchema>;
export type FileSearchQuery = z.output<typeof fileSearchSchema>;
export type ConceptSearchQuery = z.output<typeof conceptSearchSchema>;
export type ConversationSearchQuery = z.output<typeof conversationSearchSchema>;

/** Characters of a file name besides `.` and `-` (ASCII, so JavaScript and PostgreSQL agree). */
const NAME = 'A-Za-z0-9_~@+%';
/**
 * When text mentions a path: the path as written (case-sensitive), not inside a longer name. `app.ts` matches
 * `src/app.ts`, `app.ts:12` and `(app.ts)`, not `webapp.ts`, `app.tsx` or `app.ts.bak`; a path starting or
 * ending with a separator (`/src/`) may touch anything there. One regular expression that means the same in
 * JavaScript and in PostgreSQL (ARE): ASCII classes, escaped literals, lookaround.
 */
export function pathMentionPattern(path: string): string {
  const literal = path.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
  const before = /^[/\\]/.test(path) ? '' : `(?<![${NAME}.-])`;
  const after = /[/\\]$/.test(path) ? '' : `(?![${NAME}-]|[.][${NAME}])`;
  return `${before}${literal}${after}`;
}

// Results.

export interface ScoreExplanation {
  /** 1-based position in the full-text list; null when full text did not find the item. */
  textRank: number | null;
  /** Raw full-text score (ts_rank_cd, or -bm25 on SQLite). */
  textScore: number | null;
  /** Cosine similarity to the query; null when vector search did not return the item. */
  similarity: number | null;
  /** Score before recency. */
  fused: number;
  /** Hybrid message search: score passed on from the message before this one in its session (the question). */
  context?: number;
  /** Recency factor applied, when a half-life was given. */
  recency?: number;
}

export interface SearchHit<T> {
  item: T;
  /** 0..1. keyword: text score relative to the best hit; semantic: cosine similarity; hybrid: text score relative to the
   * best hit plus the weighted strength of the vector hit (and, for messages, a share of the question before it),
   * normalised so an item best in both lists scores 1. Times the recency factor when a half-life is given. */
  score: number;
  explain: ScoreExplanation;
}

/** How a search ran. */
export interface SearchRun {
  mode: SearchMode;
  /** Embedding model of the query vector; null when no vector search ran. */
  model: string | null;
  /** Set when vector search was wanted but could not run (provider down…): results are full-text only. */
  degraded?: string;
}

export interface SearchResult<T> extends SearchRun {
  items: Array<SearchHit<T>>;
}

export type AnyHit = ({ kind: 'reflection' } & SearchHit<Reflection>) | ({ kind: 'message' } & SearchHit<Message>);

export interface MixedSearchResult extends SearchRun {
  items: AnyHit[];
}

export interface QuickSearchResult extends SearchRun {
  q: string;
  kind: SearchScope;
  /** The best hit over the kinds searched; null when nothing matched. */
  best: AnyHit | null;
  /** Hits scoring at least minScore among the candidates of each kind. */
  total: number;
  totals: { reflections: number; messages: number };
  /** A candidate list came back full: more items may match than counted. */
  totalCapped: boolean;
}

export interface PathMention {
  /** The whole path as written where the query path was first found, e.g. `src/app.ts` for `app.ts`. */
  matchedPath: string;
  /** The text around that mention, whitespace collapsed, `…` where cut. */
  snippet: string;
  /** How often the item mentions the path. */
  mentions: number;
}

export type FileHit = ({ kind: 'reflection'; item: Reflection } | { kind: 'message'; item: Message }) & PathMention;

export interface FileSearchResult {
  path: string;
  /** Newest first. */
  items: FileHit[];
}

export interface Related {
  name: string;
  /** Hits carrying it. */
  count: number;
  /** Sum of those hits' scores: what the ordering uses. */
  weight: number;
}

export interface ConceptSearchResult extends SearchRun {
  concept: string;
  reflections: Array<SearchHit<Reflection>>;
  messages: Array<SearchHit<Message>>;
  /** Tags and projects of the hits, heaviest first: where else the concept lives. */
  related: { tags: Related[]; projects: Related[] };
}

export interface ConversationMatch {
  id: string;
  seq: number;
  role: Message['role'];
  createdAt: string;
  score: number;
  snippet: string;
}

export interface ConversationGroup {
  sessionId: string;
  project: string;
  name: string;
  status: string;
  bestScore: number;
  /** Matching messages of this session among the candidates. */
  matchCount: number;
  /** Best first, at most perSession. */
  messages: ConversationMatch[];
}

export interface ConversationSearchResult extends SearchRun {
  q: string;
  /** Best session first. */
  sessions: ConversationGroup[];
}

// Output schemas (OpenAPI, MCP structured content).

const explainSchema = z.object({
  textRank: z.number().int().nullable(),
  textScore: z.number().nullable(),
  similarity: z.number().nullable(),
  fused: z.number(),
  context: z.number().optional(),
  recency: z.number().optional(),
});
const runFields = {
  mode: z.enum(SEARCH_MODES),
  model: z.string().nullable(),
  degraded: z.string().optional(),
};
const hitSchema = <I extends z.ZodType>(item: I) => z.object({ item, score: z.number(), explain: explainSchema });
const kindHit = <K extends ItemKind, I extends z.ZodType>(kind: K, item: I) =>
  hitSchema(item).extend({ kind: z.literal(kind) });
const anyHitSchema = z.discriminatedUnion('kind', [
  kindHit('reflection', reflectionOutputSchema),
  kindHit('message', messageOutputSchema),
]);

export const searchResultSchema = (item: z.ZodType) => z.object({ items: z.array(hitSchema(item)), ...runFields });
export const reflectionSearchResultSchema = searchResultSchema(reflectionOutputSchema);
export const messageSearchResultSchema = searchResultSchema(messageOutputSchema);
export const mixedSearchResultSchema = z.object({ items: z.array(anyHitSchema), ...runFields });

export const quickSearchResultSchema = z.object({
  q: z.string(),
  kind: z.enum(SEARCH_SCOPES),
  best: anyHitSchema.nullable(),
  total: z.number().int(),
  totals: z.object({ reflections: z.number().int(), messages: z.number().int() }),
  totalCapped: z.boolean(),
  ...runFields,
});

const mentionFields = { matchedPath: z.string(), snippet: z.string(), mentions: z.number().int() };
export const fileSearchResultSchema = z.object({
  path: z.string(),
  items: z.array(
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('reflection'), item: reflectionOutputSchema, ...mentionFields }),
      z.object({ kind: z.literal('message'), item: messageOutputSchema, ...mentionFields }),
    ]),
  ),
});

const relatedSchema = z.object({ name: z.string(), count: z.number().int(), weight: z.number() });
export const conceptSearchResultSchema = z.object({
  concept: z.string(),
  reflections: z.array(hitSchema(reflectionOutputSchema)),
  messages: z.array(hitSchema(messageOutputSchema)),
  related: z.object({ tags: z.array(relatedSchema), projects: z.array(relatedSchema) }),
  ...runFields,
});

export const conversationSearchResultSchema = z.object({
  q: z.string(),
  sessions: z.array(
    z.object({
      sessionId: z.string(),
      project: z.string(),
      name: z.string(),
      status: z.string(),
      bestScore: z.number(),
      matchCount: z.number().int(),
      messages: z.array(
        z.object({
          id: z.string(),
          seq: z.number().int(),
          role: z.enum(MESSAGE_ROLES),
          createdAt: z.string(),
          score: z.number(),
          snippet: z.string(),
        }),
      ),
    }),
  ),
  ...runFields,
});
