import { z } from 'zod';
import {
  detectionQueuedSchema,
  PATTERN_KINDS,
  PATTERN_LIMITS,
  PATTERN_SOURCES,
  type Pattern,
  patternOutputSchema,
  patternPageSchema,
  storedPatternSchema,
} from '../../domain/pattern.model.js';
import type { Services } from '../../services/services.js';
import { defineTool, summaryWithJson, type ToolDef } from '../tool-registry.js';

/** Find arguments as a model sends them: tags as an array (REST takes a comma list). */
const findInput = z.strictObject({
  q: z.string().min(1).max(1_000).optional().describe('Words to look for in name, description and examples'),
  project: z.string().min(1).max(200).optional(),
  kind: z.enum(PATTERN_KINDS).optional(),
  source: z.enum(PATTERN_SOURCES).optional().describe('manual (stored by someone) or detected (found by the job)'),
  tags: z.array(z.string().min(1).max(PATTERN_LIMITS.tagChars)).max(PATTERN_LIMITS.tags).optional(),
  tagsMode: z.enum(['any', 'all']).default('any'),
  limit: z.number().int().min(1).max(200).default(20),
  cursor: z.string().min(1).max(512).optional().describe('nextCursor of the previous page'),
});
const idInput = z.strictObject({ patternId: z.uuid() });

function line(p: Pattern): string {
  return `${p.id}  [${p.kind}${p.source === 'detected' ? ', detected' : ''}]  ${p.name}`;
}

export function patternTools({ patterns }: Services): ToolDef[] {
  return [
    defineTool({
      name: 'store_pattern',
      title: 'Store a pattern',
      description:
        'Record a best-practice, anti-pattern, convention or recurring-error (name, description, examples, tags, ' +
        'optional project). A name already used in the project returns the existing pattern (created=false).',
      input: patterns.schemas.create,
      output: storedPatternSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => patterns.storePattern(principal, args),
      text: (r) => summaryWithJson(`${r.created ? 'Stored' : 'Already stored'} pattern ${r.pattern.id}.`, r),
    }),
    defineTool({
      name: 'find_patterns',
      title: 'Find patterns',
      description:
        'Find patterns by words in their name, description and examples (stemmed full text, best first), or ' +
        'list the newest without q. Filters: project, kind, source (manual|detected), tags (any/all).',
      input: findInput,
      output: patternPageSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) =>
        patterns.find(principal, {
          ...Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined)),
          ...(args.tags ? { tags: args.tags.join(',') } : {}),
        }),
      text: (page) =>
        summaryWithJson(
          `${page.items.length} patterns${page.nextCursor ? ' (more: pass nextCursor)' : ''}.\n${page.items.map(line).join('\n')}`,
          page,
        ),
    }),
    defineTool({
      name: 'get_pattern',
      title: 'Get a pattern',
      description:
        'One pattern with its examples and, when detected, its evidence (sessions, counts, first/last seen).',
      input: idInput,
      output: patternOutputSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => patterns.get(principal, args.patternId),
      text: (p) => summaryWithJson(line(p), p),
    }),
    defineTool({
      name: 'delete_pattern',
      title: 'Delete a pattern',
      description: 'Delete a pattern. A detected pattern comes back if a later detection run finds it again.',
      input: idInput,
      output: z.object({ patternId: z.string(), deleted: z.boolean() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
      run: async (args, principal) => {
        await patterns.delete(principal, args.patternId);
        return { patternId: args.patternId, deleted: true };
      },
      text: (r) => summaryWithJson(`Deleted pattern ${r.patternId}.`, r),
    }),
    defineTool({
      name: 'detect_patterns',
      title: 'Detect patterns',
      description:
        'Queue a search for recurring themes (similar messages and reflections) and recurring errors across the ' +
        "sessions of this tenant (or one project). Returns the job id; results appear in find_patterns with source 'detected'.",
      input: patterns.schemas.detect,
      output: detectionQueuedSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      run: (args, principal) => patterns.detect(principal, args),
      text: (r) => summaryWithJson(`Pattern detection queued as job ${r.jobId}.`, r),
    }),
  ];
}
