import { z } from 'zod';
import type { Services } from '../../app.js';
import {
  messageSearchResultSchema,
  reflectionSearchResultSchema,
  reflectionStatsSchema,
  SEARCH_MODES,
  storedReflectionSchema,
} from '../../domain/reflection.model.js';
import { defineTool, summaryWithJson, type ToolDef } from '../tool-registry.js';

/** Search arguments as a model sends them: tags as an array (REST takes a comma list). */
const searchInput = z.strictObject({
  q: z.string().min(1).max(1_000).describe('What to look for, in plain words'),
  mode: z.enum(SEARCH_MODES).default('hybrid').describe('hybrid (default), semantic or keyword'),
  limit: z.number().int().min(1).max(100).default(10),
  minScore: z.number().min(0).max(1).default(0),
  halfLifeDays: z.number().positive().max(36_500).optional().describe('Favour recent items: score halves every N days'),
  project: z.string().min(1).max(200).optional(),
  sessionId: z.uuid().optional(),
  from: z.string().optional().describe('ISO 8601 date-time'),
  to: z.string().optional().describe('ISO 8601 date-time'),
});
const reflectionSearchInput = searchInput.extend({
  tags: z.array(z.string().min(1).max(64)).max(32).optional(),
  tagsMode: z.enum(['any', 'all']).default('any'),
});

function queryOf(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

export function reflectionTools({ reflections, search }: Services): ToolDef[] {
  const schemas = reflections.schemas;
  return [
    defineTool({
      name: 'store_reflection',
      title: 'Store a reflection',
      description:
        'Keep an insight, decision or lesson (content, tags, project, optional session, importance 0..1). ' +
        'An exact repeat returns the existing reflection (created=false); near duplicates are listed in nearDuplicates.',
      input: schemas.create,
      output: storedReflectionSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => reflections.storeReflection(principal, args),
      text: (r) =>
        summaryWithJson(
          `${r.created ? 'Stored' : 'Already stored'} reflection ${r.reflection.id}` +
            (r.nearDuplicates.length > 0 ? ` (${r.nearDuplicates.length} near duplicates)` : '') +
            '.',
          r,
        ),
    }),
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
      text: (r) => summaryWithJson(`${r.items.length} reflections found${r.degraded ? ` (${r.degraded})` : ''}.`, r),
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
      text: (r) => summaryWithJson(`${r.items.length} messages found${r.degraded ? ` (${r.degraded})` : ''}.`, r),
    }),
    defineTool({
      name: 'get_reflection_stats',
      title: 'Reflection statistics',
      description: 'Counts by tag, project and period, embedding coverage and the active model.',
      input: schemas.stats,
      output: reflectionStatsSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => reflections.stats(principal, args),
      text: (s) => summaryWithJson('Reflection statistics.', s),
    }),
  ];
}
