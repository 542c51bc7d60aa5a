import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import { idSchema } from '../domain/common.model.js';
import {
  detectionQueuedSchema,
  type Pattern,
  patternOutputSchema,
  patternPageSchema,
  patternSchemas,
  storedPatternSchema,
} from '../domain/pattern.model.js';
import { defineOperation, moreNote, type Operation, READ } from './operation.js';

const patternId = idSchema.describe('Id of the pattern (a UUID returned by store_pattern or find_patterns)');
const byId = { id: 'patternId' };

function line(p: Pattern): string {
  return `${p.id} [${p.kind}${p.source === 'detected' ? ', detected' : ''}] ${p.name}`;
}

/** Patterns: store, find, get, delete, and trigger detection across sessions. */
export function patternOperations(limits: Config['limits']): Operation[] {
  const schemas = patternSchemas(limits);
  return [
    defineOperation({
      name: 'store_pattern',
      title: 'Store a pattern',
      description:
        'Record a best-practice, anti-pattern, convention or recurring-error (name, description, examples, tags, ' +
        'optional project). A name already used in the tenant and project (case and whitespace aside) returns ' +
        'the existing pattern (created false; 200 over REST instead of 201).',
      input: schemas.create,
      output: storedPatternSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/patterns',
        operationId: 'storePattern',
        tag: 'patterns',
        responses: {
          201: { description: 'Stored', schema: storedPatternSchema },
          200: { description: 'A pattern with this name exists and is returned', schema: storedPatternSchema },
        },
        respond: (c, stored) => c.json(stored, stored.created ? 201 : 200),
      },
      run: ({ services, principal }, input) => services.patterns.storePattern(principal, input),
      summary: (r) => `${r.created ? 'Stored' : 'Already stored'} pattern ${r.pattern.id}.`,
    }),
    defineOperation({
      name: 'find_patterns',
      title: 'Find patterns',
      description:
        'Find patterns by words in their name, description and examples (stemmed full text, best first), or ' +
        'list the newest without q. Filters: project, kind, source (manual|detected), tags (any/all). When ' +
        'next_cursor is not null, call again with cursor set to it for the next page.',
      input: schemas.find,
      output: patternPageSchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/patterns', operationId: 'findPatterns', tag: 'patterns' },
      mcp: { rename: { q: 'query' } },
      run: ({ services, principal }, input) => services.patterns.find(principal, input),
      summary: (page) =>
        `${page.items.length} pattern(s)${moreNote(page)}${page.items.length ? `: ${page.items.map(line).join('; ')}` : ''}.`,
    }),
    defineOperation({
      name: 'detect_patterns',
      title: 'Detect patterns',
      description:
        'Queue a search for recurring themes (similar messages and reflections) and recurring errors across the ' +
        'sessions of this tenant (or one project). Triggers within patterns.triggerWindowSeconds are one job; ' +
        "returns its id. Results appear in find_patterns with source 'detected'.",
      input: schemas.detect,
      output: detectionQueuedSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/patterns/detect',
        operationId: 'detectPatterns',
        tag: 'patterns',
        status: 202,
        responses: { 202: { description: 'Queued', schema: detectionQueuedSchema } },
      },
      run: ({ services, principal }, input) => services.patterns.detect(principal, input),
      summary: (r) => `Pattern detection queued as job ${r.jobId}.`,
    }),
    defineOperation({
      name: 'get_pattern',
      title: 'Get a pattern',
      description:
        'One pattern with its examples and, when detected, its evidence (sessions, counts, first/last seen).',
      input: z.strictObject({ patternId }),
      output: patternOutputSchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/patterns/:id', operationId: 'getPattern', tag: 'patterns', params: byId },
      run: ({ services, principal }, { patternId: id }) => services.patterns.get(principal, id),
      summary: line,
    }),
    defineOperation({
      name: 'delete_pattern',
      title: 'Delete a pattern',
      description: 'Delete a pattern. A detected pattern comes back if a later detection run finds it again.',
      input: z.strictObject({ patternId }),
      output: z.object({ patternId: z.string(), deleted: z.literal(true) }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
      scope: 'write',
      rest: {
        method: 'delete',
        path: '/v1/patterns/:id',
        operationId: 'deletePattern',
        tag: 'patterns',
        params: byId,
        responses: { 204: { description: 'Deleted' } },
        respond: (c) => c.body(null, 204),
      },
      run: async ({ services, principal }, { patternId: id }) => {
        await services.patterns.delete(principal, id);
        return { patternId: id, deleted: true as const };
      },
      summary: (r) => `Deleted pattern ${r.patternId}.`,
    }),
  ];
}
