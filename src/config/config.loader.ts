import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { configFlatAliases, ENV_PREFIX } from './config.keys.js';
import { type Config, configSchema, SECRET_KEYS } from './config.schema.js';
import { isUrlKey, redactUrlPassword, urlHasPassword } from './url-credentials.js';

export type ConfigSource = 'default' | 'cli' | 'env' | `env ${string}` | `file ${string}`;

export interface LoadedConfig {
  config: Config;
  /** Where each leaf value came from, by dotted key. */
  sources: Record<string, ConfigSource>;
  settingsDir: string;
}

export interface LoadOptions {
  /** Folder holding session-buddy.yaml, <mode>.yaml and local.yaml. (Default: the package's settings/) */
  settingsDir?: string;
  /** Environment to read `SESSION_BUDDY_*` from. (Default: process.env) */
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, highest precedence, as a nested object. */
  overrides?: Record<string, unknown>;
}

type Tree = Record<string, unknown>;
/** Variables of the CLI as a client of a running server (`search --url`), not server configuration. */
const CLIENT_ENV = new Set(['SESSION_BUDDY_URL', 'SESSION_BUDDY_TOKEN']);

/** The package's own settings folder, found from this file whether it runs from src/ or dist/src/. */
export function defaultSettingsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'settings');
    dir = dirname(dir);
  }
  return resolve('settings');
}

/** Reads every source, highest first: CLI flags, env, local.yaml, <mode>.yaml, session-buddy.yaml, defaults. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const settingsDir = options.settingsDir ?? defaultSettingsDir();
  const env = options.env ?? process.env;

  const base = readYaml(join(settingsDir, 'session-buddy.yaml'));
  const local = readYaml(join(settingsDir, 'local.yaml'));
  const fromEnv = readEnv(env);
  const cli: Layer = { tree: options.overrides ?? {}, source: 'cli' };

  const modeLayer = [cli, fromEnv, local, base].find((layer) => typeof layer?.tree.mode === 'string');
  const mode = (modeLayer?.tree.mode as string | undefined) ?? 'lite';
  if (mode !== 'lite' && mode !== 'standard') {
    throw new ConfigError(
      `Invalid configuration: mode (from ${modeLayer?.leafSources?.get('mode') ?? modeLayer?.source}): must be 'lite' or 'standard', got '${mode}'`,
    );
  }
  const modeFile = readYaml(join(settingsDir, `${mode}.yaml`));

  const layers = [base, modeFile, local, fromEnv, cli].filter((l): l is Layer => l !== undefined);
  const merged: Tree = {};
  const sources: Record<string, ConfigSource> = {};
  for (const layer of layers) {
    for (const [key, value] of leaves(layer.tree)) {
      const source = layer.leafSources?.get(key) ?? layer.source;
      if (SECRET_KEYS.has(key) && layer.source.startsWith('file')) {
        throw new ConfigError(
          `Invalid configuration: ${key} (from ${layer.source}): secrets are accepted from the environment only`,
        );
      }
      if (isUrlKey(key) && layer.source.startsWith('file') && urlHasPassword(value)) {
        throw new ConfigError(
          `Invalid configuration: ${key} (from ${layer.source}): a password in the URL must come from the environment (${envName(key)})`,
        );
      }
      setPath(merged, key, value);
      sources[key] = source;
    }
  }

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const reasons = parsed.error.issues.slice(0, 3).map((issue) => {
      const key = issue.path.map(String).join('.');
      const unknown = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => (key ? `${key}.${k}` : k)) : [];
      if (unknown.length > 0) {
        return unknown
          .map((k) => `${k} (from ${sources[k] ?? 'unknown source'}): unknown key${envHint(sources[k])}`)
          .join('; ');
      }
      return `${key || '(root)'} (from ${sources[key] ?? 'default'}): ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${reasons.join('; ')}`);
  }

  const config = parsed.data;
  // Standard mode serves a network: with a key configured and auth.enabled left unset, auth is on (docs/security.md).
  const hasKey = Boolean(config.auth.secret || config.auth.jwksFile || config.auth.jwksUrl);
  if (config.mode === 'standard' && sources['auth.enabled'] === undefined && hasKey) {
    config.auth.enabled = true;
    sources['auth.enabled'] = 'default';
  }
  const allSources: Record<string, ConfigSource> = {};
  for (const [key] of leaves(config as unknown as Tree)) allSources[key] = sources[key] ?? 'default';
  return { config, sources: allSources, settingsDir };
}

/**
 * `start` (HTTP) and `worker` in standard mode refuse to run with auth off unless `auth.enabled=false` was set
 * explicitly: a server reachable from a network must not answer everyone by accident. Lite mode (a local
 * process) keeps auth off by default.
 */
export function assertAuthDecided(loaded: LoadedConfig): void {
  const { config, sources } = loaded;
  if (config.mode !== 'standard' || config.auth.enabled || sources['auth.enabled'] !== 'default') return;
  throw new ConfigError(
    'Invalid configuration: auth.enabled: standard mode needs authentication: set SESSION_BUDDY_AUTH__SECRET (32+ ' +
      'characters; auth.jwksFile or auth.jwksUrl for tokens issued elsewhere), or SESSION_BUDDY_AUTH__ENABLED=false ' +
      'to run without it on purpose',
  );
}

/** The effective config as printable lines, secrets redacted, each with its source. */
export function describeConfig(loaded: LoadedConfig): Array<{ key: string; value: unknown; source: ConfigSource }> {
  return [...leaves(loaded.config as unknown as Tree)].map(([key, value]) => ({
    key,
    value: redact(key, value),
    source: loaded.sources[key] ?? 'default',
  }));
}

export function redact(key: string, value: unknown): unknown {
  if (value === undefined) return value;
  if (SECRET_KEYS.has(key)) return '***';
  if (isUrlKey(key) && typeof value === 'string') return redactUrlPassword(value);
  return value;
}

interface Layer {
  tree: Tree;
  source: ConfigSource;
  /** Per-leaf sources where one layer has many (each env variable). */
  leafSources?: Map<string, ConfigSource>;
}

function readYaml(path: string): Layer | undefined {
  if (!existsSync(path)) return undefined;
  const source: ConfigSource = `file ${path}`;
  let tree: unknown;
  try {
    tree = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `Invalid configuration: ${path}: not valid YAML (${(error as Error).message.split('\n')[0]})`,
    );
  }
  if (tree === null || tree === undefined) return { tree: {}, source };
  if (typeof tree !== 'object' || Array.isArray(tree)) {
    throw new ConfigError(`Invalid configuration: ${path}: must be a mapping of keys to values`);
  }
  return { tree: tree as Tree, source };
}

function readEnv(env: NodeJS.ProcessEnv): Layer {
  const tree: Tree = {};
  const leafSources = new Map<string, ConfigSource>();
  const setBy = new Map<string, { name: string; value: string }>();
  // Sorted, so which of two agreeing variables is named as the source does not depend on the environment's order.
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith(ENV_PREFIX) || value === undefined || CLIENT_ENV.has(name)) continue;
    const key = envKey(name);
    const earlier = setBy.get(key);
    if (earlier && earlier.value !== value) {
      throw new ConfigError(
        `Invalid configuration: ${key} (from env ${earlier.name} and env ${name}): set twice with different values; keep one`,
      );
    }
    if (earlier) continue;
    setBy.set(key, { name, value });
    setPath(tree, key, value);
    leafSources.set(key, `env ${name}`);
  }
  return { tree, source: 'env', leafSources };
}

/**
 * The dotted key an environment variable sets. Nested keys are joined by `__` (`SESSION_BUDDY_AUTH__SECRET`); a
 * flat name (`SESSION_BUDDY_AUTH_SECRET`, as the original system's `.mcp.json` examples use) is an alias when
 * exactly one key of the schema, its segments upper-cased in snake case and joined by `_`, spells it. Any other flat
 * name is read as a top-level key, so an unknown one fails as an unknown key.
 */
export function envKey(name: string, aliases: Map<string, string[]> = configFlatAliases()): string {
  const rest = name.slice(ENV_PREFIX.length);
  if (rest.includes('__')) return rest.split('__').map(camelCase).join('.');
  const candidates = aliases.get(name) ?? [];
  if (candidates.length > 1) {
    throw new ConfigError(
      `Invalid configuration: ${name} (from env ${name}): ambiguous, could be ${candidates.join(' or ')}; join nested keys with '__'`,
    );
  }
  return candidates[0] ?? camelCase(rest);
}

function camelCase(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function envHint(source: ConfigSource | undefined): string {
  return source?.startsWith('env')
    ? " (nested keys use '__', e.g. SESSION_BUDDY_AUTH__SECRET; every key is listed in docs/configuration.md)"
    : '';
}

/** The nested environment variable of a dotted key: `embedding.url` → `SESSION_BUDDY_EMBEDDING__URL`. */
function envName(key: string): string {
  return `${ENV_PREFIX}${key
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('__')}`;
}

function* leaves(tree: Tree, prefix = ''): Generator<[string, unknown]> {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) yield* leaves(v as Tree, key);
    else yield [key, v];
  }
}

function setPath(tree: Tree, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Tree;
  }
  node[parts[parts.length - 1] as string] = value;
}
