import type { Config } from '../../src/config/config.schema.js';
import { configSchema } from '../../src/config/config.schema.js';
import type { Principal } from '../../src/core/principal.js';
import type { UpdateReflectionInput } from '../../src/domain/reflection.model.js';
import { buildCatalogue } from '../../src/operations/catalogue.js';
import type { Operation } from '../../src/operations/operation.js';
import { parseOperationInput } from '../../src/operations/run-operation.js';
import type { ReflectionService } from '../../src/services/reflection.service.js';
import type { ReflectionTransferService } from '../../src/services/reflection-transfer.service.js';
import type { SearchService } from '../../src/services/search.service.js';

/**
 * Services called with raw input (a REST query or body, MCP arguments), parsed first with the operation's own
 * schema as the edge parses it (a refusal rejects the returned promise, as the service call would): tests written against raw input keep their meaning, refusals included, while the
 * services take typed input.
 */

type Limits = Partial<Config['limits']>;

function catalogue(limits: Limits): readonly Operation[] {
  return buildCatalogue({ ...configSchema.parse({}).limits, ...limits });
}

/** Raw input parsed with the named operation's input schema (a ValidationError naming the field when refused). */
export function edgeInput<T>(name: string, raw: unknown, limits: Limits = {}): T {
  return parseOperationInput<T>(catalogue(limits), name, raw);
}

type Arg<F> = F extends (principal: Principal, input: infer I, ...rest: never[]) => unknown ? I : never;

export function searchAtEdge(search: SearchService) {
  const ops = catalogue({});
  const at = <M extends keyof SearchService>(name: string, raw: unknown) =>
    parseOperationInput<Arg<SearchService[M]>>(ops, name, raw);
  return {
    searchReflections: async (p: Principal, raw: unknown) =>
      search.searchReflections(p, at<'searchReflections'>('search_reflections', raw)),
    searchMessages: async (p: Principal, raw: unknown) =>
      search.searchMessages(p, at<'searchMessages'>('search_messages', raw)),
    search: async (p: Principal, raw: unknown) => search.search(p, at<'search'>('search_all', raw)),
    quickSearch: async (p: Principal, raw: unknown) => search.quickSearch(p, at<'quickSearch'>('quick_search', raw)),
    searchByFile: async (p: Principal, raw: unknown) =>
      search.searchByFile(p, at<'searchByFile'>('search_by_file', raw)),
    searchByConcept: async (p: Principal, raw: unknown) =>
      search.searchByConcept(p, at<'searchByConcept'>('search_by_concept', raw)),
    searchConversations: async (p: Principal, raw: unknown) =>
      search.searchConversations(p, at<'searchConversations'>('search_conversations', raw)),
    indexing: async (p: Principal, raw: unknown) => search.indexing(p, at<'indexing'>('get_indexing_status', raw)),
  };
}

export function reflectionsAtEdge(reflections: ReflectionService, limits: Limits = {}) {
  const ops = catalogue(limits);
  const at = <T>(name: string, raw: unknown) => parseOperationInput<T>(ops, name, raw);
  type Input<M extends keyof ReflectionService> = Arg<ReflectionService[M]>;
  const idOf = (id: string) => at<{ reflectionId: string }>('get_reflection', { reflectionId: id }).reflectionId;
  return {
    storeReflection: async (p: Principal, raw: unknown) =>
      reflections.storeReflection(p, at<Input<'storeReflection'>>('store_reflection', raw)),
    get: async (p: Principal, id: string) => reflections.get(p, idOf(id)),
    update: async (p: Principal, id: string, raw: unknown) => {
      const { reflectionId, ...patch } = at<UpdateReflectionInput & { reflectionId: string }>('update_reflection', {
        ...(raw as object),
        reflectionId: id,
      });
      return reflections.update(p, reflectionId, patch);
    },
    delete: async (p: Principal, id: string) => reflections.delete(p, idOf(id)),
    list: async (p: Principal, raw: unknown) => reflections.list(p, at<Input<'list'>>('list_reflections', raw)),
    stats: async (p: Principal, raw: unknown) => reflections.stats(p, at<Input<'stats'>>('get_reflection_stats', raw)),
  };
}

export function transferAtEdge(transfer: ReflectionTransferService, limits: Limits = {}) {
  const ops = catalogue(limits);
  const at = <T>(name: string, raw: unknown) => parseOperationInput<T>(ops, name, raw);
  type Input<M extends keyof ReflectionTransferService> = Arg<ReflectionTransferService[M]>;
  return {
    importText: async (p: Principal, raw: unknown) =>
      transfer.importText(p, at<Input<'importText'>>('import_memory', raw)),
    /** REST's export: JSON lines unless `format` says otherwise. */
    exportReflections: (p: Principal, raw: unknown) =>
      transfer.exportReflections(p, at<Input<'exportReflections'>>('export_reflections_file', raw)),
    exportBounded: async (p: Principal, raw: unknown, maxChars: number) =>
      transfer.exportBounded(p, at<Input<'exportBounded'>>('export_reflections_file', raw), maxChars),
  };
}
