import { decodeCursor, encodeCursor, isIssuedTimestamp } from '../core/cursor.js';
import { NotFoundError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import type { Principal } from '../core/principal.js';
import type { CodeGraph, CodeGraphInfo } from '../domain/code-graph.model.js';
import type { Page } from '../domain/common.model.js';
import type { CodeGraphRepository } from '../repositories/code-graph.port.js';

/** Code graphs handed over by an orchestrator (one per project and commit), read back by analytics hubs. */
export class CodeGraphService {
  constructor(
    private readonly repo: CodeGraphRepository,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async store(
    principal: Principal,
    input: { project: string; commit: string; graph: Record<string, unknown>; metadata: Record<string, unknown> },
  ): Promise<CodeGraphInfo> {
    return this.repo.put({
      id: uuidv7(),
      tenantId: principal.tenantId,
      ...input,
      nodeCount: countOf(input.graph.nodes),
      edgeCount: countOf(input.graph.edges ?? input.graph.links),
      bytes: Buffer.byteLength(JSON.stringify(input.graph)),
      now: this.clock().toISOString(),
    });
  }

  async list(
    principal: Principal,
    q: { project?: string; limit: number; cursor?: string },
  ): Promise<Page<CodeGraphInfo>> {
    const after = q.cursor ? decodeCursor(q.cursor, isGraphCursor) : undefined;
    const items = await this.repo.list(principal.tenantId, {
      project: q.project,
      limit: q.limit + 1,
      after: after ? { createdAt: after.v, id: after.id } : undefined,
    });
    const page = items.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: items.length > q.limit && last ? encodeCursor({ v: last.createdAt, id: last.id }) : null,
    };
  }

  async get(principal: Principal, q: { id?: string; project?: string; commit?: string }): Promise<CodeGraph> {
    const by = q.id ? { id: q.id } : { project: q.project as string, commit: q.commit };
    const graph = await this.repo.get(principal.tenantId, by);
    if (!graph) throw new NotFoundError('code graph', q.id ?? `${q.project}@${q.commit ?? 'newest'}`);
    return graph;
  }
}

function countOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

function isGraphCursor(value: Record<string, unknown>): value is { v: string; id: string } {
  return isIssuedTimestamp(value.v) && typeof value.id === 'string' && /^[0-9a-f-]{36}$/i.test(value.id);
}
