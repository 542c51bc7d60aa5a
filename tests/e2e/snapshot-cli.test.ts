import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/mcp-memory.jsonl', import.meta.url));
const KEY_A = `a:${Buffer.alloc(32, 3).toString('base64')}`;
const KEY_B = `b:${Buffer.alloc(32, 4).toString('hex')}`;

describe('session-buddy snapshot / keys (built CLI, SQLite files)', () => {
  let dir: string;
  const env = (db: string, keys = KEY_A): Record<string, string> => ({
    SESSION_BUDDY_MODE: 'lite',
    SESSION_BUDDY_DATABASE__SQLITE_PATH: join(dir, db),
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
    SESSION_BUDDY_SYNC__DIR: join(dir, 'snapshots'),
    SESSION_BUDDY_SYNC__ENCRYPTION_KEYS: keys,
  });

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the e2e tests`);
    dir = mkdtempSync(join(tmpdir(), 'sb-snapshot-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates, lists, rotates keys and restores into an empty database only', () => {
    expect(runCli(['reflections', 'import', '--format', 'memory-json', FIXTURE], env('source.sqlite')).status).toBe(0);
    const created = runCli(['snapshot', 'create'], env('source.sqlite'));
    expect(created.status, created.stderr).toBe(0);
    const [, id] =
      /^snapshot (\S+): 0 sessions, 0 messages, 14 reflections, 0 patterns; \d+ bytes, encrypted with key a\n/.exec(
        created.stdout,
      ) ?? [expect.fail(created.stdout)];
    const listed = runCli(['snapshot', 'list', '--json'], env('source.sqlite'));
    expect(JSON.parse(listed.stdout).items.map((s: { id: string; keyId: string }) => [s.id, s.keyId])).toEqual([
      [id, 'a'],
    ]);

    const rotated = runCli(['keys', 'rotate'], env('source.sqlite', `${KEY_A},${KEY_B}`));
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(rotated.stdout).toBe('key b: 1 snapshot(s) re-encrypted (4 files), 0 already under it\n');
    expect(readdirSync(join(dir, 'snapshots', id as string)).filter((f) => f.endsWith('.b.enc')).length).toBe(4);

    // The source holds rows: refused, naming why (exit 1, one line).
    const refused = runCli(['snapshot', 'restore', id as string], env('source.sqlite', KEY_B));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      /^session-buddy: restore needs an empty database, and this one holds 14 reflections/,
    );

    const restored = runCli(['snapshot', 'restore', id as string, '--json'], env('target.sqlite', KEY_B));
    expect(restored.status, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ id, rows: { reflections: 14 }, embeddingJobs: 14 });
    const exported = (db: string) => runCli(['reflections', 'export', '--format', 'jsonl'], env(db, KEY_B)).stdout;
    expect(exported('target.sqlite')).toBe(exported('source.sqlite'));

    const bad = runCli(['snapshot', 'restore', 'latest'], env('target.sqlite', KEY_B));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('is not a snapshot id');
    // Nine CLI runs, each a process start on a shared machine: a budget, not a timing assertion.
  }, 300_000);

  it('keys generate prints a usable key; a bad key list fails at start naming the setting', () => {
    const generated = runCli(['keys', 'generate', '--id', 'k2027']);
    expect(generated.stdout).toMatch(/^k2027:[A-Za-z0-9+/]{43}=\n$/);
    const broken = runCli(['snapshot', 'list'], env('source.sqlite', 'x:short'));
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain("sync.encryptionKeys: key 'x' must be 32 bytes");
    const gcp = runCli(['snapshot', 'list'], { ...env('source.sqlite'), SESSION_BUDDY_SYNC__CLOUD_PROVIDER: 'gcp' });
    expect(gcp.status).toBe(2);
    expect(gcp.stderr).toContain('sync.cloudProvider');
  }, 120_000);
});
