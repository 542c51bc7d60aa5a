import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import { idSchema } from '../domain/common.model.js';
import {
  nearDuplicatesSchema,
  reflectionOutputSchema,
  reflectionPageSchema,
  reflectionSchemas,
  reflectionStatsSchema,
  storedReflectionSchema,
} from '../domain/reflection.model.js';
import { DELETE, defineOperation, moreNote, type Operation, READ, UPDATE } from './operation.js';

const reflectionId = idSchema.describe('Id of the reflection (a UUID returned by store_reflection or a search)');
const byId = { id: 'reflectionId' };

/**
 * Reflections: store (with deduplication), list, count, read, change, delete. Only store and stats are MCP tools,
 * as in the original system; the rest are REST (and CLI) only. `/v1/reflections/stats` comes before
 * `/v1/reflections/:id`, so `stats` is not taken for an id (and the transfer group, with `/export`, before both).
 */
export function reflectionOperations(limits: Config['limits']): Operation[] {
  const schemas = reflectionSchemas(limits);
  return [
    defineOperation({
      name: 'store_reflection',
      title: 'Store a reflection',
      description:
        'Keep an insight, decision or lesson (content, tags, project, optional session, importance 0..1). ' +
        'An exact repeat (same text after normalising case and whitespace, same project) returns the existing ' +
        'reflection (created=false; 200 over REST instead of 201). Near duplicates (cosine ≥ threshold) are ' +
        'stored too; by default the reflection is embedded in the background (near_duplicate_check pending: ' +
        'ask get_near_duplicates later), with wait_for_near_duplicates they are listed in near_duplicates.',
      input: schemas.create,
      output: storedReflectionSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/reflections',
        operationId: 'storeReflection',
        tag: 'reflections',
        responses: {
          201: { description: 'Stored', schema: storedReflectionSchema },
          200: {
            description: 'Exact duplicate of an existing reflection, which is returned',
            schema: storedReflectionSchema,
          },
        },
        respond: (c, stored) => c.json(stored, stored.created ? 201 : 200),
      },
      run: ({ services, principal }, input) => services.reflections.storeReflection(principal, input),
      summary: (r) =>
        `${r.created ? 'Stored' : 'Already stored'} reflection ${r.reflection.id}` +
        (r.nearDuplicates.length > 0 ? ` (${r.nearDuplicates.length} near duplicates)` : '') +
        '.',
    }),
    defineOperation({
      name: 'list_reflections',
      title: 'List reflections',
      description:
        'List reflections, newest first by default, filtered by project, session, tags and time. When ' +
        'next_cursor is not null, call again with cursor set to it for the next page.',
      input: schemas.list,
      output: reflectionPageSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/reflections',
        operationId: 'listReflections',
        tag: 'reflections',
        responses: { 200: { description: 'A page of reflections', schema: reflectionPageSchema } },
      },
      mcp: false,
      run: ({ services, principal }, input) => services.reflections.list(principal, input),
      summary: (page) => `${page.items.length} reflection(s)${moreNote(page)}.`,
    }),
    defineOperation({
      name: 'get_reflection_stats',
      title: 'Reflection statistics',
      description: 'Counts by tag, project, day and week; embedding coverage per model and for the active model.',
      input: schemas.stats,
      output: reflectionStatsSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/reflections/stats',
        operationId: 'getReflectionStats',
        tag: 'reflections',
        responses: { 200: { description: 'Statistics', schema: reflectionStatsSchema } },
      },
      run: ({ services, principal }, input) => services.reflections.stats(principal, input),
      summary: () => 'Reflection statistics.',
    }),
    defineOperation({
      name: 'get_reflection',
      title: 'Get a reflection',
      description: 'Read one reflection: content, project, session, tags, importance, metadata and timestamps.',
      input: z.strictObject({ reflectionId }),
      output: reflectionOutputSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/reflections/:id',
        operationId: 'getReflection',
        tag: 'reflections',
        params: byId,
        responses: { 200: { description: 'The reflection', schema: reflectionOutputSchema } },
      },
      mcp: false,
      run: ({ services, principal }, { reflectionId: id }) => services.reflections.get(principal, id),
      summary: (r) => `Reflection ${r.id} in project '${r.project}'.`,
    }),
    defineOperation({
      name: 'get_near_duplicates',
      title: 'Near duplicates of a reflection',
      description:
        'Other reflections of the same project whose meaning is nearly the same (cosine ≥ threshold), most ' +
        'similar first, as of now: what store_reflection reports when it waits.',
      input: z.strictObject({ reflectionId }),
      output: nearDuplicatesSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/reflections/:id/near-duplicates',
        operationId: 'getNearDuplicates',
        tag: 'reflections',
        params: byId,
        responses: { 200: { description: 'The near duplicates', schema: nearDuplicatesSchema } },
      },
      run: ({ services, principal }, { reflectionId: id }) => services.reflections.nearDuplicates(principal, id),
      summary: (r) =>
        r.nearDuplicateCheck === 'unavailable'
          ? 'Near duplicates not checked: the embedding provider is unavailable.'
          : `${r.nearDuplicates.length} near duplicate(s).`,
    }),
    defineOperation({
      name: 'update_reflection',
      title: 'Update a reflection',
      description:
        'Change content, tags, importance or metadata (replaced whole). New content is re-embedded; content ' +
        'equal to another reflection of the project is a conflict (409).',
      input: schemas.update.safeExtend({ reflectionId }),
      output: reflectionOutputSchema,
      annotations: UPDATE,
      scope: 'write',
      rest: {
        method: 'patch',
        path: '/v1/reflections/:id',
        operationId: 'updateReflection',
        tag: 'reflections',
        params: byId,
        responses: { 200: { description: 'Updated', schema: reflectionOutputSchema } },
      },
      mcp: false,
      run: ({ services, principal }, { reflectionId: id, ...patch }) =>
        services.reflections.update(principal, id, patch),
      summary: (r) => `Updated reflection ${r.id}.`,
    }),
    defineOperation({
      name: 'delete_reflection',
      title: 'Delete a reflection',
      description: 'Delete a reflection and its vectors.',
      input: z.strictObject({ reflectionId }),
      output: z.object({ reflectionId: z.string(), deleted: z.literal(true) }),
      annotations: DELETE,
      scope: 'write',
      rest: {
        method: 'delete',
        path: '/v1/reflections/:id',
        operationId: 'deleteReflection',
        tag: 'reflections',
        params: byId,
        responses: { 204: { description: 'Deleted' } },
        respond: (c) => c.body(null, 204),
      },
      mcp: false,
      run: async ({ services, principal }, { reflectionId: id }) => {
        await services.reflections.delete(principal, id);
        return { reflectionId: id, deleted: true as const };
      },
      summary: (r) => `Deleted reflection ${r.reflectionId}.`,
    }),
  ];
}
