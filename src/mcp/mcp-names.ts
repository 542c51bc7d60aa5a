import type { z } from 'zod';
import { ValidationError } from '../core/errors.js';

/**
 * MCP speaks the original system's names: snake_case keys (`session_id`, `created_at`) in arguments and
 * structured results. Operations are declared once in our own camelCase names; this module maps between the
 * two, guided by the schemas, so user data (metadata, workflow state: zod records) keeps its keys as sent.
 */

export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

type Io = 'input' | 'output';
type Shape = Record<string, z.ZodType>;
interface Def {
  type: string;
  shape?: Shape;
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** The schema under optional/default/… wrappers and pipes (the side that sees the value for `io`). */
function unwrap(schema: z.ZodType, io: Io): z.ZodType {
  for (let s = schema; ; ) {
    const def = defOf(s);
    if (WRAPPERS.has(def.type) && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in && def.out)
      s = io === 'output' || defOf(def.in).type === 'transform' ? def.out : def.in;
    else if (def.type === 'lazy' && def.getter) s = def.getter();
    else return s;
  }
}

/** The object shapes a value of this schema may have (one per union option that is an object). */
function shapesOf(schema: z.ZodType, io: Io): Shape[] {
  const def = defOf(schema);
  if (def.type === 'object' && def.shape) return [def.shape];
  if (def.type === 'union' && def.options) return def.options.flatMap((o) => shapesOf(unwrap(o, io), io));
  return [];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Renames the keys of `value` where `schema` declares objects, recursively; records keep their keys. */
function mapKeys(
  schema: z.ZodType,
  value: unknown,
  io: Io,
  keyOf: (key: string, shapes: Shape[], level: number) => string,
  level = 0,
): unknown {
  const s = unwrap(schema, io);
  const def = defOf(s);
  if (Array.isArray(value)) {
    return def.type === 'array' && def.element
      ? value.map((v) => mapKeys(def.element as z.ZodType, v, io, keyOf, level + 1))
      : value;
  }
  if (!isPlainObject(value)) return value;
  if (def.type === 'record' && def.valueType) {
    const valueType = def.valueType;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapKeys(valueType, v, io, keyOf, level + 1)]));
  }
  const shapes = shapesOf(s, io);
  if (shapes.length === 0) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const name = keyOf(key, shapes, level);
    const child = shapes.find((shape) => shape[name] ?? shape[key]);
    const childSchema = child?.[name] ?? child?.[key];
    if (name in out) {
      throw new ValidationError(`Invalid input: ${snakeCase(name)}: given twice (as ${key} and another name)`, [
        { field: snakeCase(name), message: 'given twice' },
      ]);
    }
    // An own property even for `__proto__`, as JSON.parse made it: the schema then refuses it as an unknown key
    // instead of it silently becoming the prototype of the arguments.
    Object.defineProperty(out, name, {
      value: childSchema ? mapKeys(childSchema, item, io, keyOf, level + 1) : item,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** A structured result in MCP names: every declared object key in snake_case. */
export function toMcpNames(schema: z.ZodType, value: unknown): unknown {
  return mapKeys(schema, value, 'output', (key) => snakeCase(key));
}

/**
 * Arguments as an MCP client sent them, in our own names: `session_id`, `sessionId` and (with `rename`)
 * `query` for `q` are all accepted. Keys nothing declares are left alone for the schema to refuse.
 */
export function fromMcpNames(schema: z.ZodType, args: unknown, rename: Record<string, string> = {}): unknown {
  const top = new Map<string, string>();
  for (const shape of shapesOf(unwrap(schema, 'input'), 'input')) {
    for (const key of Object.keys(shape)) {
      top.set(snakeCase(key), key);
      const theirs = rename[key];
      if (theirs) {
        top.set(theirs, key);
        top.set(snakeCase(theirs), key);
      }
    }
  }
  return mapKeys(schema, args, 'input', (key, shapes, level) => {
    if (shapes.some((shape) => key in shape)) return key;
    return (level === 0 ? top.get(key) : undefined) ?? camelOf(key, shapes);
  });
}

function camelOf(key: string, shapes: Shape[]): string {
  const camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return shapes.some((shape) => camel in shape) ? camel : key;
}

/** The name MCP shows for one of our top-level input keys. */
export function mcpArgumentName(key: string, rename: Record<string, string> = {}): string {
  return snakeCase(rename[key] ?? key);
}

/** Renames the `properties` (and `required`) of every object in a JSON Schema: our names → MCP names. */
export function jsonSchemaInMcpNames(node: unknown, topRename: Record<string, string> = {}, top = true): unknown {
  if (Array.isArray(node)) return node.map((n) => jsonSchemaInMcpNames(n, {}, false));
  if (!isPlainObject(node)) return node;
  const out: Record<string, unknown> = {};
  const name = (key: string) => (top ? mcpArgumentName(key, topRename) : snakeCase(key));
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && isPlainObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [name(k), jsonSchemaInMcpNames(v, {}, false)]),
      );
    } else if (key === 'required' && Array.isArray(value)) {
      out.required = value.map((k) => name(String(k)));
    } else {
      out[key] = jsonSchemaInMcpNames(value, {}, false);
    }
  }
  return out;
}
