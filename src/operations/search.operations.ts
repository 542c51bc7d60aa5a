import { z } from 'zod';
import {
  type ConversationSearchResult,
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
} from '../domain/search.model.js';
import { defineOperation, type Operation, READ } from './operation.js';

/** MCP tools that take a query say `query`, the original system's word; `q` stays accepted. */
const QUERY = { rename: { q: 'query' } };

const preview = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
};
const degradedNote = (r: { degraded?: string }): string => (r.degraded ? ` (${r.degraded})` : '');

/**
 * Search: over one kind (reflections, messages), both at once (REST only), and the shortcuts (quick, by file,
 * by concept, conversations). Inputs are the search model's schemas, one per operation.
 */
export function searchOperations(): Operation[] {
  return [
    defineOperation({
      name: 'search_reflections',
      title: 'Search reflections',
      description:
        'Find past insights by meaning and words (hybrid full-text + vector search, fused by reciprocal rank), ' +
        'or semantic or keyword only. Each hit explains its score. Filters: project, session, tags (any/all), ' +
        'time range; optional recency half-life.',
      input: reflectionSearchSchema,
      output: reflectionSearchResultSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/search/reflections',
        operationId: 'searchReflections',
        tag: 'search',
        responses: { 200: { description: 'Hits, best first', schema: reflectionSearchResultSchema } },
      },
      mcp: QUERY,
      run: ({ services, principal }, input) => services.search.searchReflections(principal, input),
      summary: (r) => `${r.items.length} reflections found${degradedNote(r)}.`,
    }),
    defineOperation({
      name: 'search_messages',
      title: 'Search messages',
      description:
        'Find messages of every session by meaning and words (hybrid search), or semantic or keyword only, with ' +
        'project, session and time filters. Each hit explains its score.',
      input: messageSearchSchema,
      output: messageSearchResultSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/search/messages',
        operationId: 'searchMessages',
        tag: 'search',
        responses: { 200: { description: 'Hits, best first', schema: messageSearchResultSchema } },
      },
      mcp: QUERY,
      run: ({ services, principal }, input) => services.search.searchMessages(principal, input),
      summary: (r) => `${r.items.length} messages found${degradedNote(r)}.`,
    }),
    defineOperation({
      name: 'search_all',
      title: 'Search everything',
      description:
        'Search reflections and messages together (kind=all, the default) or one kind: hybrid, semantic or ' +
        'keyword, merged best first; each hit names its kind.',
      input: searchSchema,
      output: mixedSearchResultSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/search',
        operationId: 'search',
        tag: 'search',
        responses: { 200: { description: 'Hits, best first', schema: mixedSearchResultSchema } },
      },
      mcp: false,
      run: ({ services, principal }, input) => services.search.search(principal, input),
      summary: (r) => `${r.items.length} hits${degradedNote(r)}.`,
    }),
    defineOperation({
      name: 'quick_search',
      title: 'Quick search',
      description:
        'Is anything known about this? Returns only the best hit (reflection or message) and how many items ' +
        'match, per kind (total_capped when there may be more). Same modes and filters as search_reflections.',
      input: quickSearchSchema,
      output: quickSearchResultSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/search/quick',
        operationId: 'quickSearch',
        tag: 'search',
        responses: { 200: { description: 'Best hit and counts', schema: quickSearchResultSchema } },
      },
      mcp: QUERY,
      run: ({ services, principal }, input) => services.search.quickSearch(principal, input),
      summary: (r) =>
        r.best
          ? `${r.total}${r.totalCapped ? '+' : ''} matches; best (${r.best.kind} ${r.best.item.id}, score ` +
            `${r.best.score.toFixed(3)}): ${preview(r.best.item.content)}${degradedNote(r)}`
          : `No matches${degradedNote(r)}.`,
    }),
    defineOperation({
      name: 'search_by_file',
      title: 'Search by file',
      description:
        'Reflections and messages that mention a file or folder path, e.g. "src/app.ts" or just "app.ts" (whole ' +
        'path components, case-sensitive: app.ts matches src/app.ts, not webapp.ts or app.tsx), newest first, ' +
        'with the path as written and a snippet around it. Filters: kind, project, session, time range, tags.',
      input: fileSearchSchema,
      output: fileSearchResultSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/search/by-file',
        operationId: 'searchByFile',
        tag: 'search',
        responses: { 200: { description: 'Mentions, newest first', schema: fileSearchResultSchema } },
      },
      run: ({ services, principal }, input) => services.search.searchByFile(principal, input),
      summary: (r) => `${r.items.length} items mention '${r.path}'.`,
    }),
    defineOperation({
      name: 'search_by_concept',
      title: 'Search by concept',
      description:
        'Reflections and messages about a concept phrase (e.g. "retry with backoff"), found by meaning first, ' +
        'grouped by kind, with the tags and projects the hits share (related: where else the concept lives).',
      input: conceptSearchSchema,
      output: conceptSearchResultSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/search/by-concept',
        operationId: 'searchByConcept',
        tag: 'search',
        responses: {
          200: { description: 'Hits per kind and related tags and projects', schema: conceptSearchResultSchema },
        },
      },
      run: ({ services, principal }, input) => services.search.searchByConcept(principal, input),
      summary: (r) =>
        `${r.reflections.length} reflections and ${r.messages.length} messages about '${r.concept}'` +
        (r.related.tags.length ? `; related tags: ${r.related.tags.map((t) => t.name).join(', ')}` : '') +
        `${degradedNote(r)}.`,
    }),
    defineOperation({
      name: 'search_conversations',
      title: 'Search conversations',
      description:
        'Search session messages and get them grouped by session: best session first, each with its id, ' +
        'project, name, best score and matching messages (seq, role, snippet, score). conversations lists the ' +
        "same matches flat, best first, one entry per message with its session (the original system's shape).",
      input: conversationSearchSchema,
      output: conversationSearchOutput,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/search/conversations',
        operationId: 'searchConversations',
        tag: 'search',
        responses: { 200: { description: 'Sessions, best first', schema: conversationSearchOutput } },
      },
      mcp: QUERY,
      run: async ({ services, principal }, input) =>
        withConversations(await services.search.searchConversations(principal, input)),
      summary: (r) => `${r.sessions.length} conversations match${degradedNote(r)}.`,
    }),
  ];
}

/** One matching message with its session: the flat `conversations` list Mahavishnu reads. */
const conversationEntry = z.object({
  sessionId: z.string(),
  project: z.string(),
  sessionName: z.string(),
  messageId: z.string(),
  seq: z.number().int(),
  role: z.string(),
  content: z.string().describe('The matching snippet'),
  timestamp: z.string(),
  score: z.number(),
});
const conversationSearchOutput = conversationSearchResultSchema.extend({ conversations: z.array(conversationEntry) });

function withConversations(r: ConversationSearchResult): z.output<typeof conversationSearchOutput> {
  const conversations = r.sessions
    .flatMap((s) =>
      s.messages.map((m) => ({
        sessionId: s.sessionId,
        project: s.project,
        sessionName: s.name,
        messageId: m.id,
        seq: m.seq,
        role: m.role,
        content: m.snippet,
        timestamp: m.createdAt,
        score: m.score,
      })),
    )
    .sort((a, b) => b.score - a.score || a.timestamp.localeCompare(b.timestamp));
  return { ...r, conversations };
}
