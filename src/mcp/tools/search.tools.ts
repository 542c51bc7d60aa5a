import { z } from 'zod';
import {
  conceptSearchResultSchema,
  conversationSearchResultSchema,
  fileSearchResultSchema,
  messageSearchResultSchema,
  quickSearchResultSchema,
  reflectionSearchResultSchema,
  SEARCH_MODES,
  SEARCH_SCOPES,
} from '../../domain/search.model.js';
import type { SearchService } from '../../services/search.service.js';
import type { Services } from '../../services/services.js';
import { defineTool, summaryWithJson, type ToolDef } from '../tool-registry.js';

// Arguments as a model sends them: numbers as numbers, tags as an array (REST takes a comma list). The service
// validates again with the REST schemas, so both doors enforce the same rules.
const q = z.string().min(1).max(1_000).describe('What to look for, in plain words');
const mode = z.enum(SEARCH_MODES).default('hybrid').describe('hybrid (default), semantic or keyword');
const kind = z.enum(SEARCH_SCOPES).default('all').describe('all (default), reflections or messages');
const limit = (fallback: number, max = 100) => z.number().int().min(1).max(max).default(fallback);
const scoring = {
  minScore: z.number().min(0).max(1).default(0),
  halfLifeDays: z.number().positive().max(36_500).optional().describe('Favour recent items: score halves every N days'),
};
const filters = {
  project: z.string().min(1).max(200).optional(),
  sessionId: z.uuid().optional(),
  from: z.string().optional().describe('ISO 8601 date-time'),
  to: z.string().optional().describe('ISO 8601 date-time'),
};
const tags = {
  tags: z.array(z.string().min(1).max(64)).max(32).optional().describe('Reflections only (messages have no tags)'),
  tagsMode: z.enum(['any', 'all']).default('any'),
};

const searchInput = z.strictObject({ q, mode, limit: limit(10), ...scoring, ...filters });
const reflectionSearchInput = searchInput.extend(tags);

/** Tool arguments as the query the service parses: lists joined by commas, unset keys left out. */
function queryOf(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

const preview = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
};
const degradedNote = (r: { degraded?: string }): string => (r.degraded ? ` (${r.degraded})` : '');

/** search_reflections and search_messages, listed with the reflection tools where they started. */
export function hybridSearchTools(search: SearchService): ToolDef[] {
  return [
    defineTool({
      name: 'search_reflections',
      title: 'Search reflections',
      description:
        'Find past insights by meaning and words (hybrid full-text + vector search, fused by reciprocal rank). ' +
        'Each hit explains its score. Filters: project, session, tags (any/all), time range; optional recency half-life.',
      input: reflectionSearchInput,
      output: reflectionSearchResultSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => search.searchReflections(principal, queryOf(args)),
      text: (r) => summaryWithJson(`${r.items.length} reflections found${degradedNote(r)}.`, r),
    }),
    defineTool({
      name: 'search_messages',
      title: 'Search messages',
      description:
        'Find session messages by meaning and words (hybrid search), with project, session and time filters.',
      input: searchInput,
      output: messageSearchResultSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => search.searchMessages(principal, queryOf(args)),
      text: (r) => summaryWithJson(`${r.items.length} messages found${degradedNote(r)}.`, r),
    }),
  ];
}

/** The search shortcuts: quick, by file, by concept, conversations. */
export function searchTools({ search }: Services): ToolDef[] {
  return [
    defineTool({
      name: 'quick_search',
      title: 'Quick search',
      description:
        'Is anything known about this? Returns only the best hit (reflection or message) and how many items match, ' +
        'per kind (totalCapped when there may be more). Same modes and filters as search_reflections.',
      input: z.strictObject({ q, kind, mode, ...scoring, ...filters, ...tags }),
      output: quickSearchResultSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => search.quickSearch(principal, queryOf(args)),
      text: (r) =>
        summaryWithJson(
          r.best
            ? `${r.total}${r.totalCapped ? '+' : ''} matches; best (${r.best.kind} ${r.best.item.id}, score ${r.best.score.toFixed(3)}): ${preview(r.best.item.content)}${degradedNote(r)}`
            : `No matches${degradedNote(r)}.`,
          r,
        ),
    }),
    defineTool({
      name: 'search_by_file',
      title: 'Search by file',
      description:
        'Reflections and messages that mention a file or folder path, e.g. "src/app.ts" or just "app.ts" (whole ' +
        'path components, case-sensitive: app.ts matches src/app.ts, not webapp.ts or app.tsx), newest first, ' +
        'with the path as written and a snippet around it. Filters: kind, project, session, time range, tags.',
      input: z.strictObject({
        path: z.string().min(1).max(500).describe('A file or folder path, whole or its tail'),
        kind,
        limit: limit(20),
        ...filters,
        ...tags,
      }),
      output: fileSearchResultSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => search.searchByFile(principal, queryOf(args)),
      text: (r) => summaryWithJson(`${r.items.length} items mention '${r.path}'.`, r),
    }),
    defineTool({
      name: 'search_by_concept',
      title: 'Search by concept',
      description:
        'Reflections and messages about a concept phrase (e.g. "retry with backoff"), found by meaning first, ' +
        'grouped by kind, with the tags and projects the hits share (related: where else the concept lives).',
      input: z.strictObject({
        concept: z.string().min(1).max(1_000).describe('The idea to look for, in a few words'),
        kind,
        limit: limit(10).describe('Hits of each kind'),
        ...scoring,
        ...filters,
        ...tags,
      }),
      output: conceptSearchResultSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => search.searchByConcept(principal, queryOf(args)),
      text: (r) =>
        summaryWithJson(
          `${r.reflections.length} reflections and ${r.messages.length} messages about '${r.concept}'` +
            (r.related.tags.length ? `; related tags: ${r.related.tags.map((t) => t.name).join(', ')}` : '') +
            `${degradedNote(r)}.`,
          r,
        ),
    }),
    defineTool({
      name: 'search_conversations',
      title: 'Search conversations',
      description:
        'Search session messages and get them grouped by session: best session first, each with its id, project, ' +
        'name, best score and matching messages (seq, role, snippet, score).',
      input: z.strictObject({
        q,
        mode,
        limit: limit(5, 50).describe('Sessions returned'),
        perSession: limit(3, 20).describe('Matching messages shown per session'),
        ...scoring,
        ...filters,
      }),
      output: conversationSearchResultSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => search.searchConversations(principal, queryOf(args)),
      text: (r) => summaryWithJson(`${r.sessions.length} conversations match${degradedNote(r)}.`, r),
    }),
  ];
}
