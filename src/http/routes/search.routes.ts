import {
  conceptSearchResultSchema,
  conceptSearchSchema,
  conversationSearchResultSchema,
  conversationSearchSchema,
  fileSearchResultSchema,
  fileSearchSchema,
  messageSearchResultSchema,
  messageSearchSchema,
  mixedSearchResultSchema,
  quickSearchResultSchema,
  quickSearchSchema,
  reflectionSearchResultSchema,
  reflectionSearchSchema,
  searchSchema,
} from '../../domain/search.model.js';
import type { SearchService } from '../../services/search.service.js';
import type { RouteDef } from '../route.js';

/** Search over one kind: reflections, messages (listed with the reflection routes, where they started). */
export function hybridSearchRoutes(search: SearchService): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/v1/search/reflections',
      operationId: 'searchReflections',
      summary:
        'Search reflections: hybrid (full text + vectors, weighted reciprocal rank fusion), semantic or keyword; each hit explains its score',
      tag: 'search',
      query: reflectionSearchSchema,
      responses: { 200: { description: 'Hits, best first', schema: reflectionSearchResultSchema } },
      handler: async (c, { principal, query }) => c.json(await search.searchReflections(principal, query)),
    },
    {
      method: 'get',
      path: '/v1/search/messages',
      operationId: 'searchMessages',
      summary: 'Search messages of every session: hybrid, semantic or keyword; each hit explains its score',
      tag: 'search',
      query: messageSearchSchema,
      responses: { 200: { description: 'Hits, best first', schema: messageSearchResultSchema } },
      handler: async (c, { principal, query }) => c.json(await search.searchMessages(principal, query)),
    },
  ];
}

/** Search over both kinds and the shortcuts: quick, by file, by concept, conversations. */
export function searchRoutes(search: SearchService): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/v1/search',
      operationId: 'search',
      summary:
        'Search reflections and messages together (kind=all, the default) or one kind: hybrid, semantic or keyword, merged best first; each hit names its kind',
      tag: 'search',
      query: searchSchema,
      responses: { 200: { description: 'Hits, best first', schema: mixedSearchResultSchema } },
      handler: async (c, { principal, query }) => c.json(await search.search(principal, query)),
    },
    {
      method: 'get',
      path: '/v1/search/quick',
      operationId: 'quickSearch',
      summary:
        'The best hit and how many items match (per kind, among the candidates; totalCapped when there may be more)',
      tag: 'search',
      query: quickSearchSchema,
      responses: { 200: { description: 'Best hit and counts', schema: quickSearchResultSchema } },
      handler: async (c, { principal, query }) => c.json(await search.quickSearch(principal, query)),
    },
    {
      method: 'get',
      path: '/v1/search/by-file',
      operationId: 'searchByFile',
      summary:
        'Reflections and messages that mention a file or folder path (whole or its tail, case-sensitive, not inside a longer name), newest first, with the path found and a snippet',
      tag: 'search',
      query: fileSearchSchema,
      responses: { 200: { description: 'Mentions, newest first', schema: fileSearchResultSchema } },
      handler: async (c, { principal, query }) => c.json(await search.searchByFile(principal, query)),
    },
    {
      method: 'get',
      path: '/v1/search/by-concept',
      operationId: 'searchByConcept',
      summary:
        'Reflections and messages about a concept, found by meaning first, grouped by kind, with the tags and projects the hits share',
      tag: 'search',
      query: conceptSearchSchema,
      responses: {
        200: { description: 'Hits per kind and related tags and projects', schema: conceptSearchResultSchema },
      },
      handler: async (c, { principal, query }) => c.json(await search.searchByConcept(principal, query)),
    },
    {
      method: 'get',
      path: '/v1/search/conversations',
      operationId: 'searchConversations',
      summary:
        'Search messages and group them by session: best session first, each with its matching messages (seq, role, snippet, score)',
      tag: 'search',
      query: conversationSearchSchema,
      responses: { 200: { description: 'Sessions, best first', schema: conversationSearchResultSchema } },
      handler: async (c, { principal, query }) => c.json(await search.searchConversations(principal, query)),
    },
  ];
}
