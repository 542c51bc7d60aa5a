import type { z } from 'zod';
import { decodeCursor, encodeCursor } from '../core/cursor.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import { applyMergePatch } from '../core/merge-patch.js';
import type { Principal } from '../core/principal.js';
import { parseInput } from '../core/validate.js';
import type { Page } from '../domain/common.model.js';
import {
  type CreateSessionInput,
  DEFAULT_PROJECT,
  type ListSessionsQuery,
  projectFromMetadata,
  type Session,
  STATUS_TRANSITIONS,
  type UpdateSessionInput,
} from '../domain/session.model.js';
import type { Store } from '../repositories/ports.js';

export type Clock = () => Date;

export class SessionService {
  constructor(
    private readonly store: Store,
    /** Checks metadata after a merge patch: the patch alone does not tell the size of the result. */
    private readonly metadataSchema: z.ZodType<Record<string, unknown>>,
    private readonly clock: Clock = () => new Date(),
  ) {}

  /** Without a project, `metadata.project` (as the original system's clients send it) names one. */
  async create(principal: Principal, data: CreateSessionInput): Promise<Session> {
    return this.store.sessions.create({
      id: uuidv7(),
      tenantId: principal.tenantId,
      project: data.project ?? projectFromMetadata(data.metadata) ?? DEFAULT_PROJECT,
      name: data.name,
      status: 'active',
      metadata: data.metadata,
      createdAt: this.clock().toISOString(),
    });
  }

  async get(principal: Principal, id: string): Promise<Session> {
    const session = await this.store.sessions.get(principal.tenantId, id);
    if (!session) throw new NotFoundError('session', id);
    return session;
  }

  async update(principal: Principal, id: string, data: UpdateSessionInput): Promise<Session> {
    const metadataSchema = this.metadataSchema;
    const updated = await this.store.sessions.update(principal.tenantId, id, (current) => {
      if (data.status && data.status !== current.status && !STATUS_TRANSITIONS[current.status].includes(data.status)) {
        throw new ConflictError(`session '${id}' cannot go from ${current.status} to ${data.status}`);
      }
      const metadata = data.metadata
        ? parseInput(metadataSchema, applyMergePatch(current.metadata, data.metadata), 'metadata')
        : undefined;
      return { name: data.name, status: data.status, metadata, updatedAt: this.clock().toISOString() };
    });
    if (!updated) throw new NotFoundError('session', id);
    return updated;
  }

  async list(principal: Principal, q: ListSessionsQuery): Promise<Page<Session>> {
    const after = q.cursor ? decodeCursor(q.cursor, { v: 'timestamp', id: 'uuid' }) : undefined;
    const items = await this.store.sessions.list(principal.tenantId, {
      project: q.project,
      status: q.status,
      createdAfter: q.createdAfter,
      createdBefore: q.createdBefore,
      sort: q.sort,
      order: q.order,
      limit: q.limit + 1,
      after: after ? { value: after.v, id: after.id } : undefined,
    });
    const more = items.length > q.limit;
    const page = more ? items.slice(0, q.limit) : items;
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: more && last ? encodeCursor({ v: last[q.sort], id: last.id }) : null,
    };
  }

  async delete(principal: Principal, id: string): Promise<void> {
    if (!(await this.store.sessions.delete(principal.tenantId, id))) throw new NotFoundError('session', id);
  }
}
