import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/core/cursor.js';
import { ValidationError } from '../../src/core/errors.js';
import { isTenantId } from '../../src/core/tenant.js';
import { isStorableTime } from '../../src/core/time-range.js';
import { findBadInput, jsonDepthExceeds, MAX_INPUT_DEPTH, parseInput } from '../../src/core/validate.js';
import { timestampSchema } from '../../src/domain/common.model.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const nest = (levels: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { k: value };
  return value;
};

describe('the text and nesting rule', () => {
  it('names the path of a NUL or lone surrogate at any depth, in values and keys', () => {
    expect(findBadInput({ a: [1, { b: 'x\u0000' }] })).toMatchObject({ path: ['a', '1', 'b'], message: /NUL/ });
    expect(findBadInput({ m: nest(60, 'a\ud83d') })?.path).toHaveLength(61);
    expect(findBadInput({ m: { 'k\udc00': 1 } })).toMatchObject({ path: ['m', 'k\udc00'], message: /key .*surrogate/ });
    expect(findBadInput({ s: '😀 \ufffd 𝔸' })).toBeUndefined();
  });
  it('refuses nesting past the limit without recursion', () => {
    expect(findBadInput({ m: nest(MAX_INPUT_DEPTH - 2, 1) })).toBeUndefined();
    expect(findBadInput({ m: nest(MAX_INPUT_DEPTH, 1) })?.message).toMatch(/nested deeper than 64/);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(findBadInput(deep)?.message).toMatch(/nested deeper/);
  });
  it('parseInput throws one ValidationError naming the field', () => {
    expect(() => parseInput({ safeParse: () => ({ success: true, data: {} }) } as never, { c: 'a\ud800' })).toThrow(
      ValidationError,
    );
    try {
      parseInput({} as never, { c: 'a\ud800' }, 'body');
    } catch (error) {
      expect((error as ValidationError).details).toEqual([
        { field: 'body.c', message: expect.stringMatching(/surrogate/) },
      ]);
    }
  });
  it('counts raw JSON depth outside strings', () => {
    expect(jsonDepthExceeds('{"a":"[[[[[[[[[[[[[[[[[["}', 2)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[","b":[[1]]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"b":[[[1]]]}', 3)).toBe(true);
    expect(jsonDepthExceeds(`${'['.repeat(300)}${']'.repeat(300)}`)).toBe(true);
  });
});

describe('the time rule', () => {
  it('accepts years 0001 to 9999 only, after normalising to UTC', () => {
    expect(isStorableTime(Date.parse('0001-01-01T00:00:00Z'))).toBe(true);
    expect(isStorableTime(Date.parse('9999-12-31T23:59:59.999Z'))).toBe(true);
    expect(isStorableTime(Date.parse('0000-12-31T23:59:59.999Z'))).toBe(false);
    expect(timestampSchema.safeParse('0001-01-01T00:30:00+01:00').success).toBe(false);
    expect(timestampSchema.safeParse('0000-01-01T00:00:00Z').error?.issues[0]?.message).toMatch(/0001-01-01/);
    expect(timestampSchema.parse('2026-01-31T12:00:00+02:00')).toBe('2026-01-31T10:00:00.000Z');
  });
});

describe('cursor shapes', () => {
  const shape = { c: 'timestamp', id: 'uuid' } as const;
  const id = '0190a000-0000-7000-8000-000000000001';
  it('round-trips what the server issues', () => {
    const c = { c: '2026-12-05T07:18:15.330Z', id };
    expect(decodeCursor(encodeCursor(c), shape)).toEqual(c);
    expect(decodeCursor(encodeCursor({ seq: 2 ** 31 - 1 }), { seq: 'seq' })).toEqual({ seq: 2 ** 31 - 1 });
  });
  it('refuses wrong kinds, ranges, extra or missing keys and non-base64url text', () => {
    for (const bad of [
      b64({ c: '2026-12-05T07:18:15.330Z', id: '-'.repeat(36) }),
      b64({ c: '0000-01-01T00:00:00.000Z', id }),
      b64({ c: '+275760-09-13T00:00:00.000Z', id }),
      b64({ c: '2026-12-05T07:18:15Z', id }),
      b64({ c: '2026-12-05T07:18:15.330Z', id, x: 1 }),
      b64({ c: '2026-12-05T07:18:15.330Z' }),
      b64([1]),
      'not a cursor!',
    ]) {
      expect(() => decodeCursor(bad, shape), bad).toThrow(/cursor: is not a cursor this server issued/);
    }
    for (const seq of [2 ** 31, -1, 1.5, '1']) {
      expect(() => decodeCursor(b64({ seq }), { seq: 'seq' })).toThrow(ValidationError);
    }
  });
});

describe('the tenant id rule', () => {
  it('takes ASCII letters, digits and . _ - @ : up to 128 characters', () => {
    for (const ok of ['default', 'acme', 'Team-1.acme_x@corp:eu', 'a'.repeat(128)])
      expect(isTenantId(ok), ok).toBe(true);
    for (const bad of [
      '',
      ' ',
      'a b',
      '-a',
      'acme\u0000',
      'acme\ud800',
      'acme\ufffd',
      'é',
      'a'.repeat(129),
      123,
      ['a'],
    ]) {
      expect(isTenantId(bad), String(bad)).toBe(false);
    }
  });
});
