import { z } from 'zod';
import type { Operation } from '../../src/operations/operation.js';

/**
 * A small seeded property-based generator for the fuzz suite (no extra dependency): the same seed gives the same
 * cases on every run and machine. FUZZ_SEED and FUZZ_RUNS (cases per operation and front door) override the defaults;
 * a failure message prints the seed and the case so it can be replayed.
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2026);
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 4);

export type Rng = () => number;

/** mulberry32: tiny, fast, good enough to pick cases. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;

const nest = (levels: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { d: value };
  return value;
};

/** A value class of the issue; `forbidden` ones must always be refused (400 / isError naming the field). */
export interface Hostile {
  label: string;
  value: unknown;
  /** The text and nesting rule refuses this anywhere. */
  forbidden: boolean;
}

export const HOSTILE: readonly Hostile[] = [
  { label: 'lone high surrogate', value: 'a\ud83d', forbidden: true },
  { label: 'lone low surrogate', value: '\udc00z', forbidden: true },
  { label: 'NUL', value: 'x\u0000y', forbidden: true },
  { label: 'NUL deep', value: nest(40, 'a\u0000'), forbidden: true },
  { label: 'surrogate deep', value: nest(30, { k: '\ud800' }), forbidden: true },
  { label: 'surrogate key', value: { 'k\udfff': 1 }, forbidden: true },
  { label: 'nested 70', value: nest(70, 1), forbidden: true },
  { label: 'year 0', value: '0000-01-01T00:00:00Z', forbidden: false },
  { label: 'year +275760', value: '+275760-09-13T00:00:00.000Z', forbidden: false },
  { label: 'year -1', value: '-000001-01-01T00:00:00.000Z', forbidden: false },
  { label: 'year 0 by offset', value: '0001-01-01T00:30:00+01:00', forbidden: false },
  { label: 'year 9999', value: '9999-12-31T23:59:59.999Z', forbidden: false },
  { label: 'huge number', value: 1e308, forbidden: false },
  { label: 'int4 overflow', value: 2_147_483_648, forbidden: false },
  { label: 'unsafe integer', value: 2 ** 53 + 1, forbidden: false },
  { label: 'negative', value: -1, forbidden: false },
  { label: 'fraction', value: 0.5, forbidden: false },
  { label: 'numeric string', value: '1e309', forbidden: false },
  { label: 'tsquery syntax', value: "a & !b | c:* <-> (d ' e", forbidden: false },
  { label: 'fts5 syntax', value: '"unterminated NEAR( a* OR -b ^c col:x', forbidden: false },
  { label: 'LIKE wildcards', value: '%_\\%', forbidden: false },
  { label: 'regex syntax', value: '(a+)+$[[:alpha:]\\', forbidden: false },
  { label: 'SQL', value: "x'); DROP TABLE sessions; --", forbidden: false },
  { label: 'path traversal', value: '../../etc/passwd', forbidden: false },
  {
    label: 'prototype keys',
    value: JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{}}}'),
    forbidden: false,
  },
  { label: 'long text', value: 'w '.repeat(6_000), forbidden: false },
  { label: 'empty', value: '', forbidden: false },
  { label: 'whitespace', value: ' \t\n ', forbidden: false },
  { label: 'control chars', value: 'a\u0001\u001f\u007fb', forbidden: false },
  { label: 'emoji and U+FFFD', value: '😀\ufffd𝔸', forbidden: false },
  { label: 'null', value: null, forbidden: false },
  { label: 'boolean', value: true, forbidden: false },
  { label: 'array', value: [1, 'a', null], forbidden: false },
  { label: 'object', value: { a: 1 }, forbidden: false },
  { label: 'forged cursor', value: Buffer.from('{"seq":2147483648}').toString('base64url'), forbidden: false },
  {
    label: 'forged cursor 2',
    value: Buffer.from('{"c":"0000-01-01T00:00:00.000Z","id":"x"}').toString('base64url'),
    forbidden: false,
  },
];

type Schema = Record<string, unknown>;

/** Ids a case may use: real ones of the fixture (per store) or unknown ones. */
export interface FixtureIds {
  session: string;
  reflection: string;
  pattern: string;
}

const ID_SLOTS = ['$session', '$reflection', '$pattern', '0190a000-0000-7000-8000-0000000000ff'] as const;

/** A plausible value for a JSON Schema node; ids are slots (`$session`…) filled per store. */
function plausible(r: Rng, node: Schema | undefined, key: string): unknown {
  if (!node) return 'x';
  if (Array.isArray(node.enum)) return pick(r, node.enum);
  if (node.const !== undefined) return node.const;
  const options = (node.anyOf ?? node.oneOf) as Schema[] | undefined;
  if (options?.length)
    return plausible(
      r,
      pick(
        r,
        options.filter((o) => o.type !== 'null'),
      ) ?? options[0],
      key,
    );
  const type = Array.isArray(node.type) ? node.type.find((t) => t !== 'null') : node.type;
  switch (type) {
    case 'string':
      if (node.format === 'uuid' || /(^id$|Id$)/.test(key)) {
        if (key === 'sessionId') return '$session';
        return pick(r, ID_SLOTS);
      }
      if (node.format === 'date-time') return pick(r, ['2026-01-01T00:00:00Z', new Date().toISOString()]);
      if (key === 'role') return 'user';
      return pick(r, ['auth', 'src/app.ts', 'default', 'refactor login', 'p']);
    case 'integer':
    case 'number': {
      const min = typeof node.minimum === 'number' ? node.minimum : 1;
      return Math.max(min, 1);
    }
    case 'boolean':
      return r() < 0.5;
    case 'array':
      return r() < 0.5 ? [] : [plausible(r, node.items as Schema, key)];
    case 'object':
      if (node.properties) return plausibleObject(r, node, false);
      return r() < 0.5 ? {} : { note: 'x' };
    default:
      return 'x';
  }
}

function plausibleObject(r: Rng, node: Schema, optional: boolean): Record<string, unknown> {
  const properties = (node.properties ?? {}) as Record<string, Schema>;
  const required = new Set((node.required ?? []) as string[]);
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(properties)) {
    if (required.has(key) || (optional && r() < 0.3)) out[key] = plausible(r, child, key);
  }
  return out;
}

/** Plausible arguments only (required ones, some optional ones), ids as slots. */
export function plausibleArgs(r: Rng, op: Operation): Record<string, unknown> {
  return plausibleObject(r, inputSchema(op), true);
}

/** The input JSON Schema of an operation, in our (camelCase) names. */
export function inputSchema(op: Operation): Schema {
  return z.toJSONSchema(op.input, { io: 'input', unrepresentable: 'any' }) as Schema;
}

export interface FuzzCase {
  /** Arguments in our names, with id slots. */
  args: Record<string, unknown>;
  /** What was made hostile, for the failure message. */
  mutations: string[];
  /** The arguments hold a value the text and nesting rule refuses. */
  forbidden: boolean;
  /** Keys holding such a value. */
  forbiddenKeys: string[];
}

type Kind = 'date' | 'string' | 'number' | 'object' | 'other';

function kindOfValue(value: unknown): Kind {
  if (typeof value === 'string') return /^[+-]?\d{4,6}-\d\d-\d\dT/.test(value) ? 'date' : 'string';
  if (typeof value === 'number') return 'number';
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return 'object';
  return 'other';
}

function kindOfField(node: Schema | undefined): Kind {
  if (!node) return 'other';
  const options = (node.anyOf ?? node.oneOf) as Schema[] | undefined;
  if (options?.length) return kindOfField(options.find((o) => o.type !== 'null'));
  if (node.format === 'date-time') return 'date';
  if (node.type === 'string' && !node.enum) return 'string';
  if (node.type === 'integer' || node.type === 'number') return 'number';
  if (node.type === 'object') return 'object';
  return 'other';
}

/**
 * One case: plausible arguments with one or two of them (or an unknown key) replaced by hostile values — mostly of
 * the field's own kind (a date for a date-time field, text for a text field…), so cases get past type checks and
 * reach the rules, services and stores behind them.
 */
export function fuzzCase(r: Rng, op: Operation): FuzzCase {
  const schema = inputSchema(op);
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const args = plausibleObject(r, schema, true);
  const keys = Object.keys(properties);
  const mutations: string[] = [];
  const classes = new Map<string, Hostile>();
  const count = r() < 0.7 ? 1 : 2;
  for (let i = 0; i < count; i++) {
    const key = r() < 0.9 && keys.length ? pick(r, keys) : pick(r, ['__proto__', 'constructor', 'extra']);
    const kind = kindOfField(properties[key]);
    const fitting = HOSTILE.filter((h) => {
      const k = kindOfValue(h.value);
      return k === kind || (kind === 'date' && k === 'string') || (kind === 'object' && h.forbidden);
    });
    const hostile = pick(r, r() < 0.75 && fitting.length ? fitting : HOSTILE);
    // defineProperty, so `__proto__` is an own key as it is in parsed JSON, not the prototype.
    Object.defineProperty(args, key, { value: hostile.value, enumerable: true, writable: true, configurable: true });
    mutations.push(`${key}=${hostile.label}`);
    classes.set(key, hostile);
  }
  // A later mutation of the same key replaces an earlier one: judged on what is sent.
  const forbiddenKeys = [...classes].filter(([, h]) => h.forbidden).map(([k]) => k);
  return { args, mutations, forbidden: forbiddenKeys.length > 0, forbiddenKeys };
}

/** Fills id slots with this store's fixture ids (deeply, for lists of ids too). */
export function fillIds(value: unknown, ids: FixtureIds): unknown {
  if (typeof value === 'string') {
    if (value === '$session') return ids.session;
    if (value === '$reflection') return ids.reflection;
    if (value === '$pattern') return ids.pattern;
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => fillIds(v, ids));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, k, { value: fillIds(v, ids), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Percent-encodes text as UTF-8, and lone surrogates as their WTF-8 bytes (what a hostile client can send). */
export function encodeQueryValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

/** FNV-1a: a per-operation seed from its name. */
export function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
