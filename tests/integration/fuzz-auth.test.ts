import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import type { Operation } from '../../src/operations/operation.js';
import { testConfig } from '../helpers/config.js';
import { FUZZ_SEED, hash, plausibleArgs, rng } from '../helpers/fuzz.js';
import { fingerprint, type Store, seed, viaMcp, viaRest } from '../helpers/fuzz-doors.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';

/**
 * Issue 10, the fuzz suite's auth part, on lite and standard with auth on: the token matrix (forged, expired,
 * `alg: none`, wrong algorithm, bad tenant claims) on every REST route and MCP tool is a 401 that leaks nothing; and
 * tenant B calling every operation with tenant A's ids never sees A's data and changes nothing of A's.
 */
const SECRET = 'fuzz-auth-secret-fuzz-auth-secret-012345';
const key = new TextEncoder().encode(SECRET);
const sign = (claims: Record<string, unknown>, options: { alg?: string; exp?: string; secret?: Uint8Array } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setSubject('fuzz')
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '10m')
    .sign(options.secret ?? key);
const unsigned = (claims: Record<string, unknown>) => {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'fuzz', exp: Math.floor(Date.now() / 1000) + 600, ...claims })}.`;
};

let db: TestDatabase;
let exportDir: string;
const stores: Array<{ name: string; a: Store; b: Store }> = [];
/** Text only tenant A's fixture holds; tenant B must never see it. */
const MARKERS = ['fuzz fixture', 'auth refactor in src/app.ts', 'use refresh tokens for auth', 'retry with backoff'];

beforeAll(async () => {
  exportDir = mkdtempSync(join(tmpdir(), 'sb-fuzz-auth-'));
  db = await createTestDatabase('fuzzauth');
  const common = {
    mcp: { enabled: true },
    analytics: { path: ':memory:', exportDir },
    auth: { enabled: true, secret: SECRET },
  };
  const lite = await createApplication(testConfig(common), createLogger('silent'), { defaultMetrics: false });
  const standard = await createApplication(
    testConfig({
      ...common,
      mode: 'standard',
      workers: { inProcess: true },
      database: { driver: 'postgres', url: db.url, migrateOnStart: true },
      redis: { url: REDIS_URL, prefix: randomPrefix('fuzzauth') },
    }),
    createLogger('silent'),
    { defaultMetrics: false },
  );
  const tokenA = await sign({ tenant: 'tenant-a' });
  const tokenB = await sign({ tenant: 'tenant-b' });
  for (const [name, app] of [
    ['lite', lite],
    ['standard', standard],
  ] as const) {
    const ids = await seed(app, tokenA);
    stores.push({ name, a: { name, app, ids, token: tokenA }, b: { name, app, ids, token: tokenB } });
  }
});

afterAll(async () => {
  for (const { a } of stores) await a.app.close();
  await db?.drop();
  rmSync(exportDir, { recursive: true, force: true });
});

function doorsOf(op: Operation): Array<['rest' | 'mcp', typeof viaRest]> {
  const doors: Array<['rest' | 'mcp', typeof viaRest]> = [];
  if (op.rest) doors.push(['rest', viaRest]);
  if (op.mcp !== false) doors.push(['mcp', viaMcp]);
  return doors;
}

describe('fuzz: tokens and tenants on every operation, lite and standard', () => {
  it('refuses every bad token with 401 on every REST route and MCP tool', async () => {
    const otherKey = new TextEncoder().encode('another-secret-another-secret-another-0');
    const matrix: Array<[string, string]> = [
      ['forged (other key)', await sign({ tenant: 'tenant-a' }, { secret: otherKey })],
      ['expired', await sign({ tenant: 'tenant-a' }, { exp: '-1m' })],
      ['alg none', unsigned({ tenant: 'tenant-a' })],
      ['wrong alg (HS512)', await sign({ tenant: 'tenant-a' }, { alg: 'HS512' })],
      [
        'tampered payload',
        (await sign({ tenant: 'tenant-a' })).replace(
          /\.[^.]+\./,
          `.${Buffer.from('{"tenant":"tenant-b","sub":"x"}').toString('base64url')}.`,
        ),
      ],
      ['not a JWT', 'not.a.jwt'],
      ['tenant 123', await sign({ tenant: 123 })],
      ['tenant []', await sign({ tenant: ['tenant-a'] })],
      ['tenant ""', await sign({ tenant: '' })],
      ['tenant with NUL', await sign({ tenant: 'tenant-a\u0000' })],
      ['tenant with lone surrogate', await sign({ tenant: 'tenant-a\ud800' })],
    ];
    const failures: string[] = [];
    for (const { name, a } of stores) {
      for (const op of a.app.operations) {
        for (const [door, send] of doorsOf(op)) {
          const args = plausibleArgs(rng(FUZZ_SEED ^ hash(op.name)), op);
          for (const [label, token] of matrix) {
            const answer = await send({ ...a, token }, op, args);
            if (answer.status !== 401)
              failures.push(`${name} ${door} ${op.name} ${label}: ${answer.status} ${answer.text.slice(0, 160)}`);
            if (/\bat .*\.(ts|js):\d+|node_modules/.test(answer.text))
              failures.push(`${name} ${door} ${op.name} ${label}: leaks`);
          }
        }
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
  }, 300_000);

  it("tenant B, with tenant A's ids on every operation, never sees nor changes A's data", async () => {
    const failures: string[] = [];
    for (const { name, a, b } of stores) {
      const before = await fingerprint(a);
      for (const op of [...b.app.operations].sort((x, y) => x.name.localeCompare(y.name))) {
        for (const [door, send] of doorsOf(op)) {
          const r = rng(FUZZ_SEED ^ hash(`${op.name}/tenant`));
          for (let run = 0; run < 3; run++) {
            const answer = await send(b, op, plausibleArgs(r, op));
            const label = `${name} ${door} ${op.name} run ${run}`;
            if (answer.internal) failures.push(`${label}: server error ${answer.text.slice(0, 200)}`);
            const seen = MARKERS.filter((m) => answer.text.includes(m));
            if (seen.length) failures.push(`${label}: tenant B saw ${seen.join(', ')}`);
          }
        }
      }
      if ((await fingerprint(a)) !== before) failures.push(`${name}: tenant A's data changed by tenant B's calls`);
    }
    expect(failures, failures.join('\n')).toEqual([]);
  }, 300_000);
});
