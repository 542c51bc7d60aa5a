import { z } from 'zod';
import { configSchema } from '../config/config.schema.js';
import { rolesFor } from '../core/roles.js';
import { mcpTools } from '../mcp/mcp-tools.js';
import { buildCatalogue } from '../operations/catalogue.js';
import type { Operation } from '../operations/operation.js';
import { GENERATED_HEADER } from './header.js';

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
  format?: string;
}

const INTRO = [
  '# Operations',
  '',
  'Every operation is declared once in `src/operations/*.operations.ts`; the REST routes, the MCP tools and the',
  '`session-buddy call <operation>` commands are made from that list, and so is this page (`npm run docs`).',
  'MCP arguments and results use snake_case names (camelCase is accepted on input); REST bodies, query strings',
  'and results use camelCase. Limits shown are the defaults of `limits.*` (see [configuration](configuration.md)).',
  '',
  "Scopes: `read` reads the caller's tenant, `write` changes it, `admin` acts on queues and dead letters.",
];

/** docs/operations.md: the catalogue, one section per operation, arguments in MCP names. */
export function renderOperationsDoc(): string {
  const operations = buildCatalogue(configSchema.parse({}).limits);
  const tools = mcpTools(operations);
  const lines = [
    GENERATED_HEADER,
    '',
    ...INTRO,
    '',
    '| operation | REST | scope ([roles](security.md#roles)) | read-only | destructive | idempotent |',
    '|---|---|---|---|---|---|',
  ];
  for (const op of operations) {
    const rest = op.rest ? `\`${op.rest.method.toUpperCase()} ${op.rest.path}\`` : '—';
    const name = op.mcp === false ? `${op.name} (REST only)` : `[\`${op.name}\`](#${op.name})`;
    const { readOnlyHint, destructiveHint, idempotentHint } = op.annotations;
    lines.push(
      `| ${name} | ${rest} | ${op.scope} | ${yes(readOnlyHint)} | ${yes(destructiveHint)} | ${yes(idempotentHint)} |`,
    );
  }
  for (const op of operations) {
    const tool = tools.get(op.name);
    lines.push('', `## ${op.name}`, '', `**${op.title}.** ${op.description}`, '', ...where(op));
    const schema = (tool?.definition.inputSchema ??
      z.toJSONSchema(op.input, { io: 'input', unrepresentable: 'any' })) as JsonSchema;
    const properties = Object.entries(schema.properties ?? {});
    if (properties.length === 0) {
      lines.push('', 'No arguments.');
      continue;
    }
    lines.push(
      '',
      `| argument${tool ? '' : ' (REST name)'} | type | required | default | notes |`,
      '|---|---|---|---|---|',
    );
    for (const [key, prop] of properties) {
      const required = schema.required?.includes(key) ? 'yes' : '';
      const fallback = prop.default === undefined ? '' : `\`${JSON.stringify(prop.default)}\``;
      lines.push(`| \`${key}\` | ${typeOf(prop)} | ${required} | ${fallback} | ${notes(prop)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function where(op: Operation): string[] {
  const doors = [];
  if (op.mcp !== false) doors.push(`MCP tool \`${op.name}\``);
  if (op.rest) doors.push(`REST \`${op.rest.method.toUpperCase()} ${op.rest.path}\` (${op.rest.operationId})`);
  doors.push(`CLI \`session-buddy call ${op.name.replaceAll('_', '-')}\``);
  return [`${doors.join(' · ')} · scope \`${op.scope}\` (roles: ${rolesFor(op.scope).join(', ')})`];
}

function yes(flag: boolean): string {
  return flag ? 'yes' : '';
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  if (type === 'array' && schema.items) return `array of ${typeOf(schema.items)}`;
  return schema.format ? `${type} (${schema.format})` : type;
}

function notes(schema: JsonSchema): string {
  const parts = [];
  if (schema.description) parts.push(schema.description.replace(/\|/g, '\\|').replace(/\n/g, ' '));
  if (schema.minimum !== undefined && schema.minimum > Number.MIN_SAFE_INTEGER) parts.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${schema.maximum}`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (schema.maxItems !== undefined) parts.push(`at most ${schema.maxItems} items`);
  return parts.join('; ');
}
