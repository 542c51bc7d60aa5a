import { fromSql, toSql } from 'pgvector';
import type { EmbeddingRepository, StoredVector } from '../ports.js';
import type { Sql } from './postgres.store.js';

export class PostgresEmbeddingRepository implements EmbeddingRepository {
  constructor(private readonly sql: Sql) {}

  async saveForMessages(vectors: StoredVector[]): Promise<number> {
    if (vectors.length === 0) return 0;
    const rows = vectors.map((v) => ({
      message_id: v.ownerId,
      tenant_id: v.tenantId,
      model: v.model,
      dim: v.vector.length,
      embedding: toSql(Array.from(v.vector)) as string,
      created_at: v.createdAt,
    }));
    // A message deleted since its job was queued has nothing to attach to: skip it, don't fail the batch.
    const result = await this.sql`
      INSERT INTO message_embeddings (message_id, tenant_id, model, dim, embedding, created_at)
      SELECT r.message_id, r.tenant_id, r.model, r.dim, r.embedding::vector, r.created_at
      FROM jsonb_to_recordset(${this.sql.json(rows)}) AS r(message_id uuid, tenant_id text, model text, dim int,
                                                         embedding text, created_at timestamptz)
      WHERE EXISTS (SELECT 1 FROM messages m WHERE m.id = r.message_id)
      ON CONFLICT (message_id, model) DO NOTHING`;
    return result.count;
  }

  async messagesWithVector(messageIds: string[], model: string): Promise<Set<string>> {
    if (messageIds.length === 0) return new Set();
    const rows = await this.sql<{ message_id: string }[]>`
      SELECT message_id FROM message_embeddings WHERE model = ${model} AND message_id = ANY(${messageIds}::uuid[])`;
    return new Set(rows.map((r) => r.message_id));
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
      WHERE m.created_at >= ${window.from} AND m.created_at < ${window.to}
        AND NOT EXISTS (SELECT 1 FROM message_embeddings e WHERE e.message_id = m.id AND e.model = ${model})
        AND NOT EXISTS (SELECT 1 FROM dead_letters d
                        WHERE d.job_key = ${jobKeyPrefix} || m.id::text AND d.status <> 'retried')
        AND NOT EXISTS (SELECT 1 FROM job_outbox o WHERE o.job_key = ${jobKeyPrefix} || m.id::text)
      ORDER BY m.created_at LIMIT ${limit}`;
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
  }

  async countForMessages(tenantId?: string): Promise<Record<string, number>> {
    const sql = this.sql;
    const rows = await sql<{ model: string; n: number }[]>`
      SELECT model, count(*)::int AS n FROM message_embeddings
      ${tenantId === undefined ? sql`` : sql`WHERE tenant_id = ${tenantId}`} GROUP BY model`;
    return Object.fromEntries(rows.map((r) => [r.model, r.n]));
  }
}
