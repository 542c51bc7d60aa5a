import { snakeCase } from '../../mcp/mcp-names.js';
import type { SyncKind, SyncRecord } from '../../repositories/sync.port.js';
import type { Memory } from './akosha.client.js';

const ITEM_KIND: Record<SyncKind, string> = {
  reflections: 'reflection',
  patterns: 'pattern',
  session_summaries: 'session_summary',
  code_graphs: 'code_graph',
};

/**
 * The stable id of one version of an item: `session-buddy:<tenant>:<kind>:<id>:<updated_at>`. A batch sent again
 * (a retry after a lost answer) carries the same ids, so Akosha stores nothing twice; a changed item is a new
 * version with a new id.
 */
export function memoryId(record: SyncRecord): string {
  return `session-buddy:${record.tenantId}:${ITEM_KIND[record.kind]}:${record.id}:${record.updatedAt}`;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** The searchable text of an item: what a person would read. */
function contentOf(record: SyncRecord): string {
  const f = record.fields;
  switch (record.kind) {
    case 'reflections':
      return text(f.content);
    case 'patterns':
      return `${text(f.name)}: ${text(f.description)}`;
    case 'session_summaries': {
      if (text(f.llmSummary)) return text(f.llmSummary);
      const s = (f.summary ?? {}) as { goal?: unknown; decisions?: unknown; outcome?: unknown };
      const parts = [
        text(f.sessionName),
        s.goal ? `Goal: ${text(s.goal)}` : '',
        ...list(s.decisions).map((d) => `Decision: ${d}`),
        s.outcome ? `Outcome: ${text(s.outcome)}` : '',
      ];
      return parts.filter(Boolean).join('\n');
    }
    case 'code_graphs':
      return `Code graph of ${record.project ?? ''} at ${text(f.commit)}: ${f.nodeCount} nodes, ${f.edgeCount} edges`;
  }
}

/** One item as Akosha receives it: the text, and every field of the row under `metadata` (snake_case names). */
export function toMemory(record: SyncRecord): Memory {
  return {
    id: memoryId(record),
    content: contentOf(record),
    source: 'session-buddy',
    kind: ITEM_KIND[record.kind],
    tenant_id: record.tenantId,
    project: record.project,
    tags: list(record.fields.tags),
    updated_at: record.updatedAt,
    metadata: Object.fromEntries(
      Object.entries({ ...record.fields, itemId: record.id }).map(([key, value]) => [snakeCase(key), value]),
    ),
  };
}
