import {
  detectionQueuedSchema,
  patternOutputSchema,
  patternPageSchema,
  storedPatternSchema,
} from '../../domain/pattern.model.js';
import type { PatternService } from '../../services/pattern.service.js';
import type { RouteDef } from '../route.js';

/** Patterns: store, find, get, delete, and trigger detection across sessions. */
export function patternRoutes(patterns: PatternService): RouteDef[] {
  const { schemas } = patterns;
  return [
    {
      method: 'post',
      path: '/v1/patterns',
      operationId: 'storePattern',
      summary:
        'Store a pattern (best-practice, anti-pattern, convention or recurring-error). A name already used in the tenant and project (case and whitespace aside) returns the existing pattern (200, created:false).',
      tag: 'patterns',
      body: schemas.create,
      responses: {
        201: { description: 'Stored', schema: storedPatternSchema },
        200: { description: 'A pattern with this name exists and is returned', schema: storedPatternSchema },
      },
      handler: async (c, { principal, body }) => {
        const stored = await patterns.storePattern(principal, body);
        return c.json(stored, stored.created ? 201 : 200);
      },
    },
    {
      method: 'get',
      path: '/v1/patterns',
      operationId: 'findPatterns',
      summary:
        'Find patterns: with q, full-text matches over name, description and examples (best first); without, newest first. Filters: project, kind, source (manual|detected), tags (any/all); cursor pagination.',
      tag: 'patterns',
      query: schemas.find,
      responses: { 200: { description: 'A page of patterns', schema: patternPageSchema } },
      handler: async (c, { principal, query }) => c.json(await patterns.find(principal, query)),
    },
    {
      method: 'post',
      path: '/v1/patterns/detect',
      operationId: 'detectPatterns',
      summary:
        'Queue pattern detection across the sessions of the tenant (or one project). Triggers within patterns.triggerWindowSeconds are one job; answers with its id.',
      tag: 'patterns',
      body: schemas.detect,
      responses: { 202: { description: 'Queued', schema: detectionQueuedSchema } },
      handler: async (c, { principal, body }) => c.json(await patterns.detect(principal, body), 202),
    },
    {
      method: 'get',
      path: '/v1/patterns/:id',
      operationId: 'getPattern',
      summary: 'Get a pattern, with its evidence when it was detected',
      tag: 'patterns',
      responses: { 200: { description: 'The pattern', schema: patternOutputSchema } },
      handler: async (c, { principal, params }) => c.json(await patterns.get(principal, params.id as string)),
    },
    {
      method: 'delete',
      path: '/v1/patterns/:id',
      operationId: 'deletePattern',
      summary: 'Delete a pattern (a detected one comes back if detection finds it again)',
      tag: 'patterns',
      responses: { 204: { description: 'Deleted' } },
      handler: async (c, { principal, params }) => {
        await patterns.delete(principal, params.id as string);
        return c.body(null, 204);
      },
    },
  ];
}
