import {
  reflectionOutputSchema,
  reflectionPageSchema,
  reflectionStatsSchema,
  storedReflectionSchema,
} from '../../domain/reflection.model.js';
import type { ReflectionService } from '../../services/reflection.service.js';
import type { SearchService } from '../../services/search.service.js';
import type { RouteDef } from '../route.js';
import { hybridSearchRoutes } from './search.routes.js';

/** Reflections CRUD and stats, and search over reflections and messages. */
export function reflectionRoutes(reflections: ReflectionService, search: SearchService): RouteDef[] {
  const { schemas } = reflections;
  return [
    {
      method: 'post',
      path: '/v1/reflections',
      operationId: 'storeReflection',
      summary:
        'Store a reflection. An exact duplicate (same text after normalising case and whitespace, same project) returns the existing one (200). Near duplicates (cosine ≥ threshold) are stored and listed in nearDuplicates.',
      tag: 'reflections',
      body: schemas.create,
      responses: {
        201: { description: 'Stored', schema: storedReflectionSchema },
        200: {
          description: 'Exact duplicate of an existing reflection, which is returned',
          schema: storedReflectionSchema,
        },
      },
      handler: async (c, { principal, body }) => {
        const stored = await reflections.storeReflection(principal, body);
        return c.json(stored, stored.created ? 201 : 200);
      },
    },
    {
      method: 'get',
      path: '/v1/reflections',
      operationId: 'listReflections',
      summary:
        'List reflections, newest first by default, filtered by project, session, tags and time (cursor pagination)',
      tag: 'reflections',
      query: schemas.list,
      responses: { 200: { description: 'A page of reflections', schema: reflectionPageSchema } },
      handler: async (c, { principal, query }) => c.json(await reflections.list(principal, query)),
    },
    // Before /:id, so `stats` is not taken for an id.
    {
      method: 'get',
      path: '/v1/reflections/stats',
      operationId: 'getReflectionStats',
      summary: 'Counts by tag, project, day and week; embedding coverage per model and for the active model',
      tag: 'reflections',
      query: schemas.stats,
      responses: { 200: { description: 'Statistics', schema: reflectionStatsSchema } },
      handler: async (c, { principal, query }) => c.json(await reflections.stats(principal, query)),
    },
    {
      method: 'get',
      path: '/v1/reflections/:id',
      operationId: 'getReflection',
      summary: 'Get a reflection',
      tag: 'reflections',
      responses: { 200: { description: 'The reflection', schema: reflectionOutputSchema } },
      handler: async (c, { principal, params }) => c.json(await reflections.get(principal, params.id as string)),
    },
    {
      method: 'patch',
      path: '/v1/reflections/:id',
      operationId: 'updateReflection',
      summary:
        'Change content, tags, importance or metadata (replaced whole). New content is re-embedded; content equal to another reflection of the project is a 409.',
      tag: 'reflections',
      body: schemas.update,
      responses: { 200: { description: 'Updated', schema: reflectionOutputSchema } },
      handler: async (c, { principal, params, body }) =>
        c.json(await reflections.update(principal, params.id as string, body)),
    },
    {
      method: 'delete',
      path: '/v1/reflections/:id',
      operationId: 'deleteReflection',
      summary: 'Delete a reflection and its vectors',
      tag: 'reflections',
      responses: { 204: { description: 'Deleted' } },
      handler: async (c, { principal, params }) => {
        await reflections.delete(principal, params.id as string);
        return c.body(null, 204);
      },
    },
    ...hybridSearchRoutes(search),
  ];
}
