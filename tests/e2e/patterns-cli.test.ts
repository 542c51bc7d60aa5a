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
    expect(bad.status).toBe(2);
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

  it('adds, shows and deletes a pattern through the pattern service', () => {
    const add = (...args: string[]) => runCli(['patterns', 'add', ...args], env);
    const added = add(
      'Jitter every retry',
      '--kind',
      'best-practice',
      '--description',
      'Spread retries so clients do not reconnect in lockstep',
      '--example',
      'sleep(base * 2 ** n + random(0, base))',
      '--example',
      'p-retry with randomize: true',
      '--tags',
      'retry,net',
      '--project',
      'shop',
    );
    expect(added.status, added.stderr).toBe(0);
    const [, id] = /^stored ([0-9a-f-]{36})\n$/.exec(added.stdout) ?? [];
    expect(id).toBeDefined();
    const again = add(
      'jitter  EVERY retry',
      '--kind',
      'convention',
      '--description',
      'other',
      '--project',
      'shop',
      '--json',
    );
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, pattern: { id, kind: 'best-practice' } });

    const shown = runCli(['patterns', 'get', id as string], env);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^kind: +best-practice \(manual\)$/m);
    expect(shown.stdout).toMatch(/^example: p-retry with randomize: true$/m);
    expect(JSON.parse(runCli(['patterns', 'get', id as string, '--json'], env).stdout)).toMatchObject({
      examples: ['sleep(base * 2 ** n + random(0, base))', 'p-retry with randomize: true'],
      tags: ['retry', 'net'],
      project: 'shop',
    });
    expect(runCli(['patterns', 'find', 'lockstep'], env).stdout).toContain(`${id}  best-practice  manual  shop`);

    expect(runCli(['patterns', 'delete', id as string], env).stdout).toBe(`deleted ${id}\n`);
    const gone = runCli(['patterns', 'get', id as string], env);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toBe(`session-buddy: pattern '${id}' not found\n`);
  });

  it('refuses input the pattern service rejects with one line naming the field, exit code 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['add', 'X', '--kind', 'rule', '--description', 'd'], /^session-buddy: Invalid input: kind: /],
      [['add', 'X', '--kind', 'convention', '--description', '  '], /description: must not be blank/],
      [['add', 'X', '--kind', 'convention'], /required option '--description <text>' not specified/],
      [['get', 'abc'], /patternId: must be a UUID/],
      [['delete', 'abc'], /patternId: must be a UUID/],
    ];
    for (const [args, message] of cases) {
      const run = runCli(['patterns', ...args], env);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
  });
});
