import type { EmbeddingRepository, MessageToEmbed, SearchFilters, StoredVector, VectorHit } from '../ports.js';
import { type Db, fromBlob, toBlob } from './db.js';
import { sqliteVectorSearch } from './search.queries.js';

export class SqliteEmbeddingRepository implements EmbeddingRepository {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly toEmbedStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(`
      INSERT INTO message_embeddings (message_id, tenant_id, model, dim, embedding, created_at)
      SELECT @ownerId, @tenantId, @model, @dim, @embedding, @createdAt
      WHERE EXISTS (SELECT 1 FROM messages WHERE id = @ownerId)
      ON CONFLICT (message_id, model) DO NOTHING`);
    this.getStmt = db.prepare('SELECT * FROM message_embeddings WHERE message_id = ? AND model = ?');
    this.toEmbedStmt = db.prepare(`
      SELECT m.id, m.content,
             EXISTS (SELECT 1 FROM message_embeddings e WHERE e.message_id = m.id AND e.model = @model) AS has_vector
      FROM json_each(@ids) j CROSS JOIN messages m
      WHERE m.id = j.value AND m.tenant_id = @tenantId`);
  }

  async saveForMessages(vectors: StoredVector[]): Promise<number> {
    return this.db.transaction(() => {
      let saved = 0;
      for (const v of vectors) {
        saved += this.insertStmt.run({ ...v, dim: v.vector.length, embedding: toBlob(v.vector) }).changes;
      }
      return saved;
    })();
  }

  async messagesToEmbed(tenantId: string, messageIds: string[], model: string): Promise<MessageToEmbed[]> {
    if (messageIds.length === 0) return [];
    const rows = this.toEmbedStmt.all({ tenantId, model, ids: JSON.stringify(messageIds) }) as Array<{
      id: string;
      content: string;
      has_vector: number;
    }>;
    return rows.map((r) => ({ id: r.id, content: r.content, hasVector: r.has_vector === 1 }));
  }

  async getForMessage(messageId: string, model: string): Promise<StoredVector | undefined> {
    const row = this.getStmt.get(messageId, model) as
      | { message_id: string; tenant_id: string; model: string; embedding: Buffer; created_at: string }
      | undefined;
    if (!row) return undefined;
    return {
      ownerId: row.message_id,
      tenantId: row.tenant_id,
      model: row.model,
      vector: fromBlob(row.embedding),
      createdAt: row.created_at,
    };
  }

  async messagesMissingVector(
    model: string,
    window: { from: string; to: string },
    jobKeyPrefix: string,
    limit: number,
  ): Promise<Array<{ id: string; tenantId: string }>> {
    const rows = this.db
      .prepare(
        `SELECT m.id, m.tenant_id FROM messages m
         WHERE m.received_at >= @from AND m.received_at < @to
           AND NOT EXISTS (SELECT 1 FROM message_embeddings e WHERE e.message_id = m.id AND e.model = @model)
           AND NOT EXISTS (SELECT 1 FROM dead_letters d
                           WHERE d.job_key = @prefix || m.id AND d.status <> 'retried')
           AND NOT EXISTS (SELECT 1 FROM job_outbox o, json_each(o.payload, '$.messageIds') j
                           WHERE j.value = m.id)
         ORDER BY m.received_at LIMIT @limit`,
      )
      .all({ model, from: window.from, to: window.to, prefix: jobKeyPrefix, limit }) as Array<{
      id: string;
      tenant_id: string;
    }>;
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
  }

  async countForMessages(tenantId?: string): Promise<Record<string, number>> {
    const rows = this.db
      .prepare(
        `SELECT model, count(*) AS n FROM message_embeddings ${tenantId === undefined ? '' : 'WHERE tenant_id = ?'} GROUP BY model`,
      )
      .all(...(tenantId === undefined ? [] : [tenantId])) as Array<{ model: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.model, r.n]));
  }

  async messageCoverage(
    tenantId: string,
    model: string,
    scope: { project?: string; sessionId?: string },
  ): Promise<{ messages: number; embedded: number }> {
    const where = [
      'm.tenant_id = @tenantId',
      ...(scope.sessionId === undefined ? [] : ['m.session_id = @sessionId']),
      ...(scope.project === undefined
        ? []
        : ['m.session_id IN (SELECT id FROM sessions WHERE tenant_id = @tenantId AND project = @project)']),
    ].join(' AND ');
    const row = this.db
      .prepare(
        `SELECT count(*) AS messages,
                count(*) FILTER (WHERE EXISTS (
                  SELECT 1 FROM message_embeddings e WHERE e.message_id = m.id AND e.model = @model)) AS embedded
         FROM messages m WHERE ${where}`,
      )
      .get({
        tenantId,
        model,
        ...(scope.sessionId === undefined ? {} : { sessionId: scope.sessionId }),
        ...(scope.project === undefined ? {} : { project: scope.project }),
      }) as { messages: number; embedded: number };
    return { messages: row.messages, embedded: row.embedded };
  }

  async vectorSearch(
    tenantId: string,
    vector: Float32Array,
    model: string,
    filters: SearchFilters,
    k: number,
  ): Promise<VectorHit[]> {
    return sqliteVectorSearch(this.db, 'message', tenantId, vector, model, filters, k);
  }
}
