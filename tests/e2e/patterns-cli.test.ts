import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { seedCorpus } from '../contract/pattern.contract.js';
import { runCli, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

describe('CLI: session-buddy patterns (lite, SQLite file)', () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-patterns-cli-'));
    const path = join(dir, 'sessions.db');
    const store = new SqliteStore({ path });
    await seedCorpus(store, 'default', Date.now() - 5 * 86_400_000);
    await store.close();
    env = {
      SESSION_BUDDY_MODE: 'lite',
      SESSION_BUDDY_DATABASE__SQLITE_PATH: path,
      SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
      SESSION_BUDDY_PATTERNS__SIMILARITY_THRESHOLD: '0.6',
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('detects now, lists and finds, and explains bad flags in one line', () => {
    expect(runCli(['patterns', 'list'], env).stdout).toBe('no patterns match\n');
    const detected = runCli(['patterns', 'detect', '--now', '--project', 'shop'], env);
    expect(detected.status, detected.stderr).toBe(0);
    expect(detected.stdout).toMatch(/^scanned \d+ vectors \(hash-256\) and \d+ messages with errors$/m);
    expect(detected.stdout).toMatch(/^3 patterns \(3 new\)$/m);
    expect(runCli(['patterns', 'detect', '--now', '--project', 'shop'], env).stdout).toMatch(/^3 patterns \(0 new\)$/m);

    const listed = runCli(['patterns', 'list', '--source', 'detected'], env);
    expect(listed.stdout.trim().split('\n')).toHaveLength(4);
    expect(listed.stdout).toMatch(
      /recurring-error {2}detected {2}3 sessions {2}shop {2}Recurring error: Error: connect ECONNREFUSED <n>/,
    );
    expect(listed.stdout).toMatch(/^3 shown$/m);
    const found = JSON.parse(runCli(['patterns', 'find', 'connection', 'refused', '--json'], env).stdout) as {
      items: Array<{ kind: string; evidence: { sessionIds: string[] } }>;
    };
    expect(found.items[0]).toMatchObject({ kind: 'recurring-error' });
    expect(found.items[0]?.evidence.sessionIds).toHaveLength(3);
    const conventions = runCli(['patterns', 'list', '--kind', 'convention', '--tag', 'pool,theme'], env);
    expect(conventions.stdout).toMatch(/^1 shown$/m);
    expect(runCli(['patterns', 'list', '--tenant', 'someone-else'], env).stdout).toBe('no patterns match\n');

    const bad = runCli(['patterns', 'list', '--kind', 'rule'], env);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/kind/);
  });

  it('queues detection in the outbox, where a server on the same database picks it up', async () => {
    const queued = runCli(['patterns', 'detect'], env);
    expect(queued.status, queued.stderr).toBe(0);
    expect(queued.stdout).toMatch(
      /^queued detection job detect-patterns-[0-9a-f]{16}-w60-\d+ on analytics \(in the outbox;/,
    );
    const store = new SqliteStore({ path: env.SESSION_BUDDY_DATABASE__SQLITE_PATH });
    try {
      expect((await store.outbox.backlog()).pending).toBe(1);
      const server = await startCli([], env);
      try {
        // Also a guard: `start` logs ready just before it installs its SIGTERM handler; a stop in between kills it.
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
        // The tenant-wide run records its own patterns (project null) next to the project's.
        await waitFor('the queued detection to run', async () => {
          const wide = await store.patterns.list('default', { source: 'detected' }, 50);
          return (await store.outbox.backlog()).pending === 0 && wide.filter((p) => p.project === null).length === 3;
        });
      } finally {
        expect(await server.stop(), server.output()).toBe(0);
      }
    } finally {
      await store.close();
    }
  });
});
