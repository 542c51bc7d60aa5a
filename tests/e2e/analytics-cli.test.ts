import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type RunningCli, runCli, startWorker } from '../helpers/cli.js';
import { REDIS_URL, randomPrefix } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

type Json = Record<string, unknown>;

/** `session-buddy analytics …` against a SQLite file and the DuckDB file beside it (lite mode). */
describe('CLI analytics (lite mode, SQLite and DuckDB files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-analytics-cli-'));
  const env = {
    SESSION_BUDDY_MODE: 'lite',
    SESSION_BUDDY_DATABASE__SQLITE_PATH: join(dir, 'sb.db'),
    SESSION_BUDDY_ANALYTICS__PATH: join(dir, 'sb.duckdb'),
    SESSION_BUDDY_ANALYTICS__EXPORT_DIR: join(dir, 'exports'),
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
  };
  const cli = (...args: string[]) => runCli(args, env);
  const json = (...args: string[]) => {
    const result = cli(...args, '--json');
    expect(result.status, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Json;
  };
  let sessionId: string;

  beforeAll(() => {
    const created = cli('call', 'create-session', '--name', 'cli charts', '--project', 'shop');
    expect(created.status, created.stderr).toBe(0);
    sessionId = (JSON.parse(created.stdout) as { id: string }).id;
    const messages = [
      { role: 'user', content: 'We need to make checkout faster. TODO: profile src/checkout.ts' },
      { role: 'assistant', content: 'Decided to cache the tax table in src/tax.ts' },
      { role: 'tool', content: '$ npm test\nError: 2 failing' },
    ];
    const added = cli('call', 'add-messages', '--json', JSON.stringify({ sessionId, messages }));
    expect(added.status, added.stderr).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('summary: the activity of the last days as a table, or --json; --session summarizes one session', () => {
    const text = cli('analytics', 'summary', '--days', '3');
    expect(text.status, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/: 1 session\(s\), 3 message\(s\), 0 reflection\(s\), 0 dead letter\(s\); 1 active/);
    expect(lines[1]).toMatch(/^day\s+sessions\s+messages\s+reflections\s+dead letters$/);
    expect(lines).toHaveLength(2 + 3 + 2);
    expect(text.stdout).toContain('Messages by role: user 1, assistant 1, system 0, tool 1.');
    const summary = json('analytics', 'summary', '--project', 'shop');
    expect(summary).toMatchObject({ project: 'shop', days: 7, totals: { messages: 3, sessions: 1 } });

    const session = cli('analytics', 'summary', '--session', sessionId);
    expect(session.status, session.stderr).toBe(0);
    expect(session.stdout).toMatch(/^Session 'cli charts': 3 message\(s\)/);
    expect(session.stdout).toContain('Goal: We need to make checkout faster.');
    expect(session.stdout).toMatch(/Files:\n {2}- src\/checkout\.ts/);
  });

  it('insights and query', () => {
    expect(json('analytics', 'insights', '--period', '2w')).toMatchObject({ days: 14, project: null });
    const insights = cli('analytics', 'insights', '--project', 'shop');
    expect(insights.status, insights.stderr).toBe(0);
    expect(insights.stdout).toMatch(/ in shop: 3 message\(s\) \(0 before\)/);

    const table = cli('analytics', 'query', 'SELECT role, count(*) AS n FROM messages GROUP BY role ORDER BY role');
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout.split('\n').slice(0, 4)).toEqual([
      'role       n',
      'assistant  1',
      'tool       1',
      'user       1',
    ]);
    expect(table.stdout).toMatch(/3 row\(s\), 2 column\(s\)/);
    const bound = json('analytics', 'query', 'SELECT count(*) AS n FROM messages WHERE role = $1', '--param', 'user');
    expect(bound.rows).toEqual([[1]]);
  });

  it('refuses bad input in one line: exit 2 for what the caller got wrong', () => {
    for (const args of [
      ['analytics', 'query', "SELECT * FROM read_csv('/etc/passwd')"],
      ['analytics', 'query', 'SELECT 1; SELECT 2'],
      ['analytics', 'summary', '--days', '0'],
      ['analytics', 'insights', '--period', 'fortnight'],
      ['analytics', 'export', '--dataset', 'messages', '--out', join(dir, 'x.csv'), '--destination', 'x.csv'],
      ['analytics', 'export', '--dataset', 'nope'],
    ]) {
      const result = cli(...args);
      expect(result.status, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
      expect(result.stdout).toBe('');
    }
    const missing = cli('analytics', 'summary', '--session', '0190f5c2-0000-7000-8000-000000000000');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
  });

  it('export: to stdout, to --out FILE (whole or not at all), to --destination on the server', () => {
    const stdout = cli('analytics', 'export', '--sql', 'SELECT role FROM messages ORDER BY seq');
    expect(stdout.status, stdout.stderr).toBe(0);
    expect(stdout.stdout).toBe('role\r\nuser\r\nassistant\r\ntool\r\n');

    const out = join(dir, 'messages.jsonl');
    const written = cli('analytics', 'export', '--dataset', 'messages', '--format', 'json', '--out', out);
    expect(written.status, written.stderr).toBe(0);
    expect(written.stderr).toMatch(new RegExp(`^Exported 3 row\\(s\\), [\\d.]+ (B|KiB) to ${out}\\.\\n$`));
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Json);
    expect(rows.map((r) => r.role)).toEqual(['user', 'assistant', 'tool']);
    expect(rows[0]).not.toHaveProperty('tenant_id');

    const again = cli('analytics', 'export', '--dataset', 'messages', '--out', out);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/--out: .* exists \(add --overwrite to replace it\)/);
    const replaced = cli('analytics', 'export', '--dataset', 'sessions', '--out', out, '--overwrite');
    expect(replaced.status, replaced.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^id,project,name,status/);

    // A failing export leaves neither a file nor a partial one.
    const bad = join(dir, 'bad.csv');
    const failed = cli('analytics', 'export', '--sql', "SELECT * FROM read_csv('/etc/passwd')", '--out', bad);
    expect(failed.status).toBe(2);
    expect(existsSync(bad)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);

    const parquet = cli(
      'analytics',
      'export',
      '--dataset',
      'messages',
      '--format',
      'parquet',
      '--destination',
      'm.parquet',
    );
    expect(parquet.status, parquet.stderr).toBe(0);
    expect(parquet.stdout.trim()).toBe(
      `3 row(s) exported as parquet, ${readFileSync(join(dir, 'exports', 'm.parquet')).length} byte(s) to ${join(dir, 'exports', 'm.parquet')}.`,
    );
  });

  it('draws a progress bar on a terminal (stderr), with the row total counted first', () => {
    const out = join(dir, 'tty.csv');
    const command = [process.execPath, CLI, 'analytics', 'export', '--dataset', 'messages', '--out', out]
      .map((a) => `'${a}'`)
      .join(' ');
    // `script` gives the command a pseudo-terminal, as an operator's shell would.
    const result = spawnSync('script', ['-qec', command, '/dev/null'], {
      env: { ...cleanEnv(), ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stdout).toBe(0);
    expect(result.stdout).toContain(`exporting to ${out} [${'#'.repeat(30)}] 3/3`);
    expect(result.stdout).toContain(`Exported 3 row(s)`);
    expect(readFileSync(out, 'utf8').split('\r\n')).toHaveLength(5);
  });
});

/** Standard mode: the CLI's analytics reads go to the analytics owner (a worker holding the DuckDB file). */
describe('CLI analytics (standard mode, through the analytics owner)', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-analytics-std-'));
  const prefix = randomPrefix('cli-analytics');
  const env = {
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__DRIVER: 'sqlite',
    SESSION_BUDDY_DATABASE__SQLITE_PATH: join(dir, 'sb.db'),
    SESSION_BUDDY_REDIS__URL: REDIS_URL,
    SESSION_BUDDY_REDIS__PREFIX: prefix,
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
    SESSION_BUDDY_ANALYTICS__PATH: join(dir, 'analytics.duckdb'),
  };
  const cli = (...args: string[]) => runCli(args, env);
  let worker: RunningCli | undefined;

  beforeAll(() => {
    const created = cli('call', 'create-session', '--name', 'standard', '--project', 'std');
    expect(created.status, created.stderr).toBe(0);
  });
  afterAll(async () => {
    await worker?.stop();
    await deleteRedisPrefix(REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('without an owner: one line naming the fix, exit 1; with one: the answer the owner synced', async () => {
    const none = cli('analytics', 'summary');
    expect(none.status).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/no process holds the analytics database.*session-buddy worker --queues analytics/);

    worker = await startWorker([], env);
    const summary = await waitFor(
      'the owner to sync the session',
      () => {
        const result = cli('analytics', 'summary', '--json');
        if (result.status !== 0) return undefined;
        const parsed = JSON.parse(result.stdout) as { totals: { sessions: number } };
        return parsed.totals.sessions === 1 ? parsed : undefined;
      },
      60_000,
    );
    expect(summary).toMatchObject({ totals: { sessions: 1 }, topProjects: [] });
    // The CLI never opened the DuckDB file the owner holds.
    expect(worker.output()).not.toMatch(/in use by another process/);
  });
});

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SESSION_BUDDY_')));
}
