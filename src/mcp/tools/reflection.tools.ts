import { reflectionStatsSchema, storedReflectionSchema } from '../../domain/reflection.model.js';
import type { Services } from '../../services/services.js';
import { defineTool, summaryWithJson, type ToolDef } from '../tool-registry.js';
import { hybridSearchTools } from './search.tools.js';

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
    ...hybridSearchTools(search),
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
