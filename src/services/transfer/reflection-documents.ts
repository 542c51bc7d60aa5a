import type { Reflection } from '../../domain/reflection.model.js';

export const EXPORT_FORMATS = ['jsonl', 'markdown'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What the export was asked for, printed at the top of a Markdown document. */
export interface ExportDescription {
  project?: string;
  tags?: string[];
  from?: string;
  to?: string;
}

/**
 * One JSON object per line, `type: "reflection"` first, oldest first. Tenant and content hash are left out
 * (the importer's tenant applies, the hash is derived); `reflections import --format jsonl` reads it back.
 */
export function jsonlLine(r: Reflection): string {
  return `${JSON.stringify({
    type: 'reflection',
    id: r.id,
    project: r.project,
    sessionId: r.sessionId,
    content: r.content,
    tags: r.tags,
    importance: r.importance,
    metadata: r.metadata,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  })}\n`;
}

export function markdownHead(d: ExportDescription, exportedAt: string): string {
  const filters = [
    d.project ? `project ${escapeInline(d.project)}` : 'all projects',
    d.tags?.length ? `tags ${escapeInline(d.tags.join(','))}` : undefined,
    d.from ? `from ${d.from}` : undefined,
    d.to ? `before ${d.to}` : undefined,
  ].filter(Boolean);
  return `# Reflections\n\n- **Selection:** ${filters.join(', ')}\n- **Exported:** ${exportedAt}\n`;
}

export function markdownEntry(r: Reflection): string {
  const facts = [
    `\`${r.id}\``,
    `project ${escapeInline(r.project)}`,
    `importance ${r.importance}`,
    r.tags.length > 0 ? `tags ${r.tags.map((t) => `\`${t}\``).join(' ')}` : undefined,
    r.sessionId ? `session \`${r.sessionId}\`` : undefined,
  ].filter(Boolean);
  const metadata = Object.keys(r.metadata).length > 0 ? `\n\n${fenced(JSON.stringify(r.metadata, null, 2))}` : '';
  return `\n## ${r.createdAt}\n\n${r.content}\n\n_${facts.join(' · ')}_${metadata}\n`;
}

export function markdownFoot(count: number): string {
  return `\n---\n\n${count} reflection${count === 1 ? '' : 's'}.\n`;
}

/** A json fence longer than any backtick run inside, so string values cannot close it. */
function fenced(json: string): string {
  const ticks = '`'.repeat(Math.max(2, ...[...json.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  return `${ticks}json\n${json}\n${ticks}`;
}

function escapeInline(text: string): string {
  return text.replace(/([\\`*_[\]#<>|])/g, '\\$1').replace(/\n/g, ' ');
}
