import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type ConfigKey, envName, unwrap, walkConfig } from '../config/config.keys.js';
import { defaultSettingsDir } from '../config/config.loader.js';
import { configSchema, SECRET_KEYS } from '../config/config.schema.js';
import { GENERATED_HEADER } from './header.js';

interface Def {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  options?: z.ZodType[];
  element?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  entries?: Record<string, string>;
}

const defOf = (schema: z.ZodType) => schema.def as unknown as Def;

/** docs/configuration.md: every key of the zod config schema with its type, default and description. */
export function renderConfigurationDoc(settingsDir: string = defaultSettingsDir()): string {
  const { keys, groups } = walkConfig(configSchema);
  const modeFiles = (['lite', 'standard'] as const).map((mode) => ({
    mode,
    values: flatten(readYaml(join(settingsDir, `${mode}.yaml`))),
  }));
  const lines = [GENERATED_HEADER, '', ...INTRO, ''];

  const sections = [
    { key: '', title: 'Top level', description: undefined as string | undefined },
    ...groups.filter((g) => g.path.length === 1).map((g) => ({ key: g.key, title: g.key, description: g.description })),
  ];
  for (const section of sections) {
    const members = keys.filter((k) => (section.key ? k.path[0] === section.key : k.path.length === 1));
    lines.push(`## ${section.key ? `\`${section.title}\`` : section.title}`, '');
    if (section.description) lines.push(section.description, '');
    for (const group of groups.filter((g) => g.path.length > 1 && g.path[0] === section.key && g.description)) {
      lines.push(`- \`${group.key}.*\`: ${group.description}`);
    }
    if (groups.some((g) => g.path.length > 1 && g.path[0] === section.key && g.description)) lines.push('');
    lines.push('| key | environment | type | default | description |', '| --- | --- | --- | --- | --- |');
    for (const key of members) lines.push(row(key, modeFiles));
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

const INTRO = [
  '# Configuration',
  '',
  'One zod schema, `src/config/config.schema.ts`, defines every key below; this page is generated from it.',
  'Sources, highest first:',
  '',
  '1. command-line flags (`--mode`, `--host`, `--port`, …)',
  '2. environment variables `SESSION_BUDDY_*` (below)',
  '3. `settings/local.yaml` (git-ignored; see `settings/local.example.yaml`)',
  '4. `settings/<mode>.yaml` (`lite.yaml`, `standard.yaml`)',
  '5. `settings/session-buddy.yaml`',
  '6. schema defaults',
  '',
  'An environment variable names a key upper-cased in snake case with nested keys joined by `__`:',
  '`server.bodyLimitBytes` is `SESSION_BUDDY_SERVER__BODY_LIMIT_BYTES`. The flat form with `_`',
  '(`SESSION_BUDDY_SERVER_BODY_LIMIT_BYTES`, `SESSION_BUDDY_AUTH_ENABLED`) is accepted as an alias when exactly one',
  'key spells it; setting an alias and its `__` form to different values is an error. Lists (`mcp.allowedHosts`,',
  '`workers.queues`) are comma-separated in the environment.',
  '',
  'Secrets (`auth.secret`, `embedding.apiKey`, `summaries.llm.apiKey`, and a password inside any URL setting:',
  '`database.url`, `redis.url`, `embedding.url`, … — `scheme://user:password@host` or `scheme://:password@host`)',
  'are accepted from the environment only. Invalid configuration stops start-up with one line naming the key, its',
  'source and the reason (exit code 2). `session-buddy config show` prints every effective value with its source,',
  'secrets redacted (a URL keeps its user name and host: `redis://:***@cache:6379`).',
];

function row(key: ConfigKey, modeFiles: Array<{ mode: string; values: Map<string, unknown> }>): string {
  const overrides = modeFiles
    .filter(({ values }) => values.has(key.key) && !same(values.get(key.key), defaultOf(key.schema)))
    .map(({ mode, values }) => `${mode}: ${code(values.get(key.key))}`);
  const fallback = defaultOf(key.schema);
  const defaultText = [fallback === undefined ? '—' : code(fallback), ...overrides.map((o) => `(${o})`)].join(' ');
  const description = [key.description ?? '', SECRET_KEYS.has(key.key) ? '**Secret: environment only.**' : '']
    .filter(Boolean)
    .join(' ');
  const env = `\`${envName(key.path)}\``;
  return `| \`${key.key}\` | ${env} | ${cell(typeOf(key.schema))} | ${cell(defaultText)} | ${cell(description)} |`;
}

function defaultOf(schema: z.ZodType): unknown {
  for (let node: z.ZodType | undefined = schema; node; node = defOf(node).innerType) {
    const def = defOf(node);
    if (def.type === 'default') return def.defaultValue;
  }
  return undefined;
}

/** A short, readable type: `integer 1–100`, `boolean`, `one of a, b`, `list of strings`, `URL`. */
export function typeOf(schema: z.ZodType): string {
  const { inner } = unwrap(schema);
  const def = defOf(inner);
  switch (def.type) {
    case 'string':
      return (inner as unknown as { format?: string | null }).format === 'url' ? 'URL' : 'string';
    case 'number': {
      const n = inner as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean };
      const min = n.minValue !== null && Number.isFinite(n.minValue) && Math.abs(n.minValue) < Number.MAX_SAFE_INTEGER;
      const max = n.maxValue !== null && Number.isFinite(n.maxValue) && n.maxValue < Number.MAX_SAFE_INTEGER;
      const range = min && max ? ` ${num(n.minValue)}–${num(n.maxValue)}` : min ? ` ≥ ${num(n.minValue)}` : '';
      return `${n.isInt ? 'integer' : 'number'}${range}`;
    }
    case 'boolean':
      return 'boolean';
    case 'enum':
      return `one of ${Object.values(def.entries ?? {})
        .map((v) => `\`${v}\``)
        .join(', ')}`;
    case 'array': {
      const element = def.element ? unwrap(def.element).inner : undefined;
      if (element && defOf(element).type === 'enum') return `list of ${typeOf(element).replace(/^one of /, '')}`;
      return `list of ${plural(element ? typeOf(element) : 'values')}`;
    }
    case 'union':
      // `bool` is a union of a boolean and its spellings as text ('true', '1', …).
      if (def.options?.some((o) => defOf(o).type === 'boolean')) return 'boolean';
      return (def.options ?? []).map(typeOf).join(' or ');
    case 'pipe':
      // Preprocessed or transformed values: what the key holds is the output side.
      return def.out && defOf(def.out).type !== 'transform' ? typeOf(def.out) : def.in ? typeOf(def.in) : 'value';
    default:
      return def.type;
  }
}

function plural(type: string): string {
  return type === 'string' ? 'strings' : type;
}

function num(value: number | null): string {
  return value === null ? '' : String(value);
}

function code(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => `\`${String(v)}\``).join(', ');
  return `\`${String(value)}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function readYaml(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const tree = parseYaml(readFileSync(path, 'utf8')) as unknown;
  return tree && typeof tree === 'object' && !Array.isArray(tree) ? (tree as Record<string, unknown>) : {};
}

function flatten(tree: Record<string, unknown>, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out.set(key, v);
  }
  return out;
}
