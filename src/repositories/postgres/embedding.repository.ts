import { fromSql } from 'pgvector';
import type { EmbeddingRepository, MessageToEmbed, SearchFilters, StoredVector, VectorHit } from '../ports.js';
import { pgVectorSearch } from './search.queries.js';
import type { Sql } from './sql.js';
import { saveVectors, type VectorTable } from './vector-table.js';

const MESSAGE_VECTORS: VectorTable = { table: 'message_embeddings', owner: 'message_id', parent: 'messages' };

export class PostgresEmbeddingRepository implements EmbeddingRepository {
  constructor(private readonly sql: Sql) {}

  saveForMessages(vectors: StoredVector[]): Promise<number> {
    return saveVectors(this.sql, MESSAGE_VECTORS, vectors);
  }

  async messagesToEmbed(tenantId: string, messageIds: string[], model: string): Promise<MessageToEmbed[]> {
    if (messageIds.length === 0) return [];
    const rows = await this.sql<{ id: string; content: string; has_vector: boolean }[]>`
      SELECT m.id, m.content,
             EXISTS (SELECT 1 FROM message_embeddings e WHERE e.message_id = m.id AND e.model = ${model}) AS has_vector
      FROM messages m WHERE m.tenant_id = ${tenantId} AND m.id = ANY(${messageIds}::uuid[])`;
    return rows.map((r) => ({ id: r.id, content: r.content, hasVector: r.has_vector }));
  }

  async getForMessage(messageId: string, model: string): Promise<StoredVector | undefined> {
    const [row] = await this.sql<
      { message_id: string; tenant_id: string; model: string; embedding: string; created_at: Date }[]
    >`SELECT message_id, tenant_id, model, embedding::text AS embedding, created_at
      FROM message_embeddings WHERE message_id = ${messageId} AND model = ${model}`;
    if (!row) return undefined;
    return {
      ownerId: row.message_id,
      tenantId: row.tenant_id,
      model: row.model,
      vector: Float32Array.from(fromSql(row.embedding) as number[]),
      createdAt: row.created_at.toISOString(),
    };
  }

  async messagesMissingVector(
    model: string,
    window: { from: string; to: string },
    jobKeyPrefix: string,
    limit: number,
  ): Promise<Array<{ id: string; tenantId: string }>> {
    const rows = await this.sql<{ id: string; tenant_id: string }[]>`
      SELECT m.id, m.tenant_id FROM messages m
      WHERE m.received_at >= ${window.from} AND m.received_at < ${window.to}
        AND NOT EXISTS (SELECT 1 FROM message_embeddings e WHERE e.message_id = m.id AND e.model = ${model})
        AND NOT EXISTS (SELECT 1 FROM dead_letters d
                        WHERE d.job_key = ${jobKeyPrefix} || m.id::text AND d.status <> 'retried')
        AND NOT EXISTS (SELECT 1 FROM job_outbox o WHERE o.payload -> 'messageIds' ? m.id::text)
      ORDER BY m.received_at LIMIT ${limit}`;
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
  }

  async countForMessages(tenantId?: string): Promise<Record<string, number>> {
    const sql = this.sql;
    const rows = await sql<{ model: string; n: number }[]>`
      SELECT model, count(*)::int AS n FROM message_embeddings
      ${tenantId === undefined ? sql`` : sql`WHERE tenant_id = ${tenantId}`} GROUP BY model`;
    return Object.fromEntries(rows.map((r) => [r.model, r.n]));
  }

  async messageCoverage(
    tenantId: string,
    model: string,
    scope: { project?: string; sessionId?: string },
  ): Promise<{ messages: number; embedded: number }> {
    const sql = this.sql;
    const [row] = await sql<{ messages: number; embedded: number }[]>`
      SELECT count(*)::int AS messages,
             count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM message_embeddings e WHERE e.message_id = m.id AND e.model = ${model}))::int AS embedded
      FROM messages m
      WHERE m.tenant_id = ${tenantId}
        ${scope.sessionId === undefined ? sql`` : sql`AND m.session_id = ${scope.sessionId}`}
        ${scope.project === undefined ? sql`` : sql`AND m.session_id IN (SELECT id FROM sessions WHERE tenant_id = ${tenantId} AND project = ${scope.project})`}`;
    return { messages: row?.messages ?? 0, embedded: row?.embedded ?? 0 };
  }

  vectorSearch(
    tenantId: string,
    vector: Float32Array,
    model: string,
    filters: SearchFilters,
    k: number,
  ): Promise<VectorHit[]> {
    return pgVectorSearch(this.sql, 'message', tenantId, vector, model, filters, k);
  }
}
