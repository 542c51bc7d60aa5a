import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import {
  CODE_GRAPH_MAX_BYTES,
  codeGraphInfoSchema,
  codeGraphSchema,
  codeGraphSchemas,
} from '../domain/code-graph.model.js';
import { defineOperation, moreNote, type Operation, READ, UPDATE } from './operation.js';

/** The code-graph hand-off: Mahavishnu stores a graph per project and commit; Akosha lists and reads them. */
export function codeGraphOperations(limits: Config['limits']): Operation[] {
  const schemas = codeGraphSchemas(limits.metadataBytes);
  return [
    defineOperation({
      name: 'store_code_graph_from_mahavishnu',
      title: 'Store code graph',
      description:
        'Store the code graph of a project at a commit (a JSON object; nodes and edges arrays are counted). The ' +
        `same project and commit again replaces the graph. At most ${CODE_GRAPH_MAX_BYTES} bytes of JSON (over ` +
        'HTTP the request body limit applies first).',
      input: schemas.store,
      output: codeGraphInfoSchema,
      annotations: UPDATE,
      scope: 'write',
      rest: { method: 'put', path: '/v1/code-graphs', operationId: 'storeCodeGraph', tag: 'code-graphs' },
      run: ({ services, principal }, input) => services.codeGraphs.store(principal, input),
      summary: (g) => `Stored code graph of ${g.project}@${g.commit}: ${g.nodeCount} node(s), ${g.edgeCount} edge(s).`,
    }),
    defineOperation({
      name: 'list_code_graphs',
      title: 'List code graphs',
      description:
        'Stored code graphs, newest first, without the graphs themselves (get_code_graph reads one). When ' +
        'next_cursor is not null, call again with cursor set to it.',
      input: schemas.list,
      output: z.object({ items: z.array(codeGraphInfoSchema), nextCursor: z.string().nullable() }),
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/code-graphs', operationId: 'listCodeGraphs', tag: 'code-graphs' },
      run: ({ services, principal }, input) => services.codeGraphs.list(principal, input),
      summary: (page) => `${page.items.length} code graph(s)${moreNote(page)}.`,
    }),
    defineOperation({
      name: 'get_code_graph',
      title: 'Get code graph',
      description: "Read one code graph: by id, or by project and commit (without commit: the project's newest).",
      input: schemas.get,
      output: codeGraphSchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/code-graphs/find', operationId: 'getCodeGraph', tag: 'code-graphs' },
      run: ({ services, principal }, input) => services.codeGraphs.get(principal, input),
      summary: (g) => `Code graph of ${g.project}@${g.commit}: ${g.nodeCount} node(s), ${g.edgeCount} edge(s).`,
    }),
  ];
}
