import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { testConfig } from '../helpers/config.js';
import { FUZZ_RUNS, FUZZ_SEED, fuzzCase, hash, rng } from '../helpers/fuzz.js';
import { type Answer, BODY_METHODS, fingerprint, type Store, seed, viaMcp, viaRest } from '../helpers/fuzz-doors.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';

/**
 * Issue 10: the fuzz suite. Every REST route and MCP tool of the catalogue gets FUZZ_RUNS seeded cases (plausible
 * arguments with hostile values of the classes), sent in lockstep to lite (SQLite) and standard (PostgreSQL +
 * Redis). Asserted for every case: no 5xx and no JSON-RPC internal error, no stack, path or SQL text in the answer,
 * a value the text/nesting rule forbids is always refused, a refused write changes nothing stored, and both stores
 * give the same status. Bounded: about (operations × 2 front doors × FUZZ_RUNS) requests per store.
 */

/**
 * Operations whose status may legitimately differ between the stores at a given moment because it depends on
 * asynchronous job progress, not on the input: only the no-5xx, no-leak and refusal rules apply to them.
 */
const TIMING_DEPENDENT = new Set([
  // 404 until the analytics sync job has copied the session into DuckDB.
  'get_session_analytics',
  // Reads or makes a summary whose state depends on the summarize job.
  'summarize_session',
]);
const LEAK = /\bat .*\.(ts|js):\d+|node_modules|\/src\/|PostgresError|SqliteError|syntax error at|\bSELECT\b.*\bFROM\b/;
/** Operations that take SQL from the caller: a syntax error about that SQL is the answer, not a leak. */
const SQL_INPUT = new Set(['query_analytics', 'export_analytics']);
const SQL_LEAK = /\bat .*\.(ts|js):\d+|node_modules|\/src\/|PostgresError|SqliteError/;

let db: TestDatabase;
let exportDir: string;
const stores: Store[] = [];

beforeAll(async () => {
  exportDir = mkdtempSync(join(tmpdir(), 'sb-fuzz-'));
  db = await createTestDatabase('fuzz');
  // create_snapshot is fuzzed too: its snapshots go to the temporary folder, not data/snapshots.
  const common = {
    mcp: { enabled: true },
    analytics: { path: ':memory:', exportDir },
    sync: { dir: join(exportDir, 'snapshots') },
  };
  const lite = await createApplication(testConfig(common), createLogger('silent'), { defaultMetrics: false });
  const standard = await createApplication(
    testConfig({
      ...common,
      mode: 'standard',
      // This process runs the workers and so holds the analytics database, as a one-host deployment does.
      workers: { inProcess: true },
      database: { driver: 'postgres', url: db.url, migrateOnStart: true },
      redis: { url: REDIS_URL, prefix: randomPrefix('fuzz') },
    }),
    createLogger('silent'),
    { defaultMetrics: false },
  );
  stores.push({ name: 'lite', app: lite, ids: await seed(lite) });
  stores.push({ name: 'standard', app: standard, ids: await seed(standard) });
});

afterAll(async () => {
  for (const store of stores) await store.app.close();
  await db?.drop();
  rmSync(exportDir, { recursive: true, force: true });
});

describe(`fuzz: every operation, REST and MCP, lite and standard (seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs)`, () => {
  it('never answers 5xx, never leaks, always refuses forbidden text, changes nothing when refusing, agrees across stores', async () => {
    const failures: string[] = [];
    const operations = [...(stores[0]?.app.operations ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    let requests = 0;
    for (const op of operations) {
      const doors: Array<['rest' | 'mcp', typeof viaRest]> = [];
      if (op.rest) doors.push(['rest', viaRest]);
      if (op.mcp !== false) doors.push(['mcp', viaMcp]);
      for (const [door, send] of doors) {
        const r = rng(FUZZ_SEED ^ hash(`${op.name}/${door}`));
        for (let run = 0; run < FUZZ_RUNS; run++) {
          const c = fuzzCase(r, op);
          const label = `${door} ${op.name} [seed ${FUZZ_SEED} run ${run}] ${c.mutations.join(', ')}`;
          const write = !op.annotations.readOnlyHint;
          const answers: Answer[] = [];
          for (const store of stores) {
            const before = write ? await fingerprint(store) : '';
            const answer = await send(store, op, c.args);
            requests++;
            answers.push(answer);
            if (answer.internal)
              failures.push(`${store.name} ${label}: server error ${answer.status} ${answer.text.slice(0, 300)}`);
            if ((SQL_INPUT.has(op.name) ? SQL_LEAK : LEAK).test(answer.text))
              failures.push(`${store.name} ${label}: leaks internals: ${answer.text.slice(0, 300)}`);
            const judged =
              door === 'mcp' ||
              (op.rest && (op.rest.from ?? (BODY_METHODS.has(op.rest.method) ? 'body' : 'query')) === 'body');
            // The MCP SDK parses JSON-RPC into plain objects, so a `__proto__` argument is gone before our code runs
            // (dropped, never used); every other key is judged on both doors.
            const forbidden = door === 'mcp' ? c.forbiddenKeys.some((k) => k !== '__proto__') : c.forbidden;
            if (forbidden && judged && !answer.refused) {
              failures.push(`${store.name} ${label}: forbidden value accepted (${answer.status})`);
            }
            if (write && answer.refused && (await fingerprint(store)) !== before) {
              failures.push(`${store.name} ${label}: a refused request changed stored data`);
            }
          }
          const [lite, standard] = answers as [Answer, Answer];
          if (!TIMING_DEPENDENT.has(op.name) && lite.status !== standard.status) {
            failures.push(
              `${label}: lite ${lite.status} ≠ standard ${standard.status}: ${lite.text.slice(0, 200)} | ${standard.text.slice(0, 200)}`,
            );
          }
        }
      }
    }
    expect(requests).toBeGreaterThan(operations.length * FUZZ_RUNS);
    expect(failures, failures.join('\n')).toEqual([]);
  }, 300_000);
});
