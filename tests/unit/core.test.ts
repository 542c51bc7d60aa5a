import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../../src/core/cursor.js';
import { NotFoundError, ValidationError } from '../../src/core/errors.js';
import { uuidv7 } from '../../src/core/ids.js';
import { applyMergePatch } from '../../src/core/merge-patch.js';
import { toProblem } from '../../src/http/problem.js';

describe('uuidv7', () => {
  it('is a valid v7 UUID and strictly increasing within one process', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('applyMergePatch (RFC 7396)', () => {
  it('merges objects recursively, null removes, arrays and scalars replace', () => {
    const target = { a: 1, b: { c: 2, d: 3 }, list: [1, 2], gone: true };
    expect(applyMergePatch(target, { b: { c: null, e: 4 }, list: [3], gone: null, new: 'x' })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      list: [3],
      new: 'x',
    });
    expect(target.b).toEqual({ c: 2, d: 3 });
    expect(applyMergePatch({ a: 'scalar' }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });
});

describe('cursors', () => {
  const isSeq = (v: Record<string, unknown>): v is { seq: number } => typeof v.seq === 'number';
  it('round-trip and reject anything this server did not issue', () => {
    expect(decodeCursor(encodeCursor({ seq: 12 }), isSeq)).toEqual({ seq: 12 });
    for (const bad of ['garbage', encodeCursor({ other: 'x' }), Buffer.from('[1]').toString('base64url')]) {
      expect(() => decodeCursor(bad, isSeq)).toThrowError(ValidationError);
    }
  });
});

describe('errors to problem+json', () => {
  it('names every offending field from a zod failure', () => {
    const schema = z.strictObject({ name: z.string(), n: z.number().max(3) });
    const result = schema.safeParse({ n: 9, extra: 1 });
    if (result.success) throw new Error('expected failure');
    const error = ValidationError.fromZod(result.error, 'body');
    expect(error.details).toEqual([
      { field: 'body.name', message: 'is required' },
      { field: 'body.n', message: expect.stringMatching(/3/) },
      { field: 'body.extra', message: 'is not a known field' },
    ]);
    expect(error.message).toMatch(
      /^Invalid input: body\.name: is required; body\.n: .*; body\.extra: is not a known field$/,
    );
  });

  it('maps domain errors to their status and unknown errors to a bare 500', () => {
    expect(toProblem(new NotFoundError('session', 'x'), '/v1/sessions/x')).toMatchObject({
      status: 404,
      code: 'not_found',
      detail: "session 'x' not found",
      instance: '/v1/sessions/x',
    });
    const internal = toProblem(new Error('password=hunter2 at db.ts:12'));
    expect(internal).toMatchObject({ status: 500, code: 'internal' });
    expect(JSON.stringify(internal)).not.toContain('hunter2');
  });
});
