import type { z } from 'zod';
import { configSchema } from './config.schema.js';

export const ENV_PREFIX = 'SESSION_BUDDY_';

/** One leaf key of the configuration schema. */
export interface ConfigKey {
  /** Path segments, e.g. `['server', 'bodyLimitBytes']`. */
  path: string[];
  /** Dotted key, e.g. `server.bodyLimitBytes`. */
  key: string;
  /** The leaf schema as declared, wrappers (default, optional) included. */
  schema: z.ZodType;
  /** The first `.describe()` text found from the outermost wrapper inwards. */
  description: string | undefined;
}

/** A group (nested object) of the schema, for headings in generated docs. */
export interface ConfigGroup {
  path: string[];
  key: string;
  description: string | undefined;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch']);

function defOf(schema: z.ZodType): Def {
  return schema.def as unknown as Def;
}

/** The schema under default/optional/… wrappers, and the first description met on the way. */
export function unwrap(schema: z.ZodType): { inner: z.ZodType; description: string | undefined } {
  let node = schema;
  let description = node.description;
  for (let def = defOf(node); WRAPPERS.has(def.type) && def.innerType; def = defOf(node)) {
    node = def.innerType;
    description ??= node.description;
  }
  return { inner: node, description };
}

/** Every leaf key and every group of a configuration schema, in declaration order. */
export function walkConfig(schema: z.ZodType = configSchema): { keys: ConfigKey[]; groups: ConfigGroup[] } {
  const keys: ConfigKey[] = [];
  const groups: ConfigGroup[] = [];
  const visit = (node: z.ZodType, path: string[]) => {
    const { inner, description } = unwrap(node);
    const shape = defOf(inner).type === 'object' ? defOf(inner).shape : undefined;
    if (!shape) {
      keys.push({ path, key: path.join('.'), schema: node, description });
      return;
    }
    if (path.length > 0) groups.push({ path, key: path.join('.'), description });
    for (const [name, child] of Object.entries(shape)) visit(child, [...path, name]);
  };
  visit(schema, []);
  return { keys, groups };
}

/** `bodyLimitBytes` → `BODY_LIMIT_BYTES`. */
export function envSegment(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The canonical variable of a key: segments joined by `__` (`SESSION_BUDDY_SERVER__BODY_LIMIT_BYTES`). */
export function envName(path: string[]): string {
  return ENV_PREFIX + path.map(envSegment).join('__');
}

/** The flat alias of a key: segments joined by `_` (`SESSION_BUDDY_SERVER_BODY_LIMIT_BYTES`). */
export function flatEnvName(path: string[]): string {
  return ENV_PREFIX + path.map(envSegment).join('_');
}

/** Flat variable names (prefix included) → the dotted keys they could mean; more than one means ambiguous. */
export function flatAliases(keys: Array<Pick<ConfigKey, 'path' | 'key'>>): Map<string, string[]> {
  const aliases = new Map<string, string[]>();
  for (const { path, key } of keys) {
    const name = flatEnvName(path);
    aliases.set(name, [...(aliases.get(name) ?? []), key]);
  }
  return aliases;
}

let cached: Map<string, string[]> | undefined;

/** The flat aliases of the configuration schema, computed once. */
export function configFlatAliases(): Map<string, string[]> {
  cached ??= flatAliases(walkConfig(configSchema).keys);
  return cached;
}
