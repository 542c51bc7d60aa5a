import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runsCall } from '../../src/cli/call.command.js';
import { runCli } from '../helpers/cli.js';

/** `session-buddy call <operation>`: the catalogue's operations on a command line, against a SQLite file. */
describe('CLI call', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-call-'));
  const env = {
    SESSION_BUDDY_MODE: 'lite',
    SESSION_BUDDY_DATABASE__SQLITE_PATH: join(dir, 'call.db'),
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
  };
  const call = (...args: string[]) => runCli(['call', ...args], env);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists one subcommand per operation, with flags from its schema', () => {
    const help = call('--help');
    expect(help.status).toBe(0);
    for (const name of ['create-session', 'add-message', 'search-reflections', 'list-dead-letters']) {
      expect(help.stdout).toContain(name);
    }
    const addMessage = call('add-message', '--help');
    expect(addMessage.stdout).toMatch(/--session-id <value>/);
    expect(addMessage.stdout).toMatch(/--idempotency-key <value>/);
  });

  it('builds its subcommands only when call runs (or its help): other commands start without the catalogue', () => {
    const argv = (...words: string[]) => ['node', 'main.js', ...words];
    expect(runsCall(argv('call', 'add-message'))).toBe(true);
    expect(runsCall(argv('--settings-dir', 'call', 'call', '--help'))).toBe(true);
    expect(runsCall(argv('--settings-dir=x', 'help', 'call'))).toBe(true);
    expect(runsCall(argv('start', '--mode=lite'))).toBe(false);
    expect(runsCall(argv('--settings-dir', 'call', 'start'))).toBe(false);
    expect(runsCall(argv('help', 'start'))).toBe(false);
    expect(runsCall(argv())).toBe(false);
    const program = runCli(['help', 'call'], env);
    expect(program.stdout).toContain('create-session');
    const top = runCli(['--help'], env);
    expect(top.stdout).toMatch(/^ {2}call +Run any operation/m);
  });

  it('export-analytics writes the file to stdout, or to its destination in the export directory', () => {
    const exportEnv = { ...env, SESSION_BUDDY_ANALYTICS__EXPORT_DIR: join(dir, 'exports') };
    const sql = `SELECT 1 AS a, 'x,y' AS b`;
    const streamed = runCli(['call', 'export-analytics', '--sql', sql], exportEnv);
    expect(streamed.status, streamed.stderr).toBe(0);
    expect(streamed.stdout).toBe('a,b\r\n1,"x,y"\r\n');
    const written = runCli(['call', 'export-analytics', '--sql', sql, '--destination', 'a.csv'], exportEnv);
    expect(written.status, written.stderr).toBe(0);
    expect(JSON.parse(written.stdout)).toMatchObject({ path: join(dir, 'exports', 'a.csv'), rows: 1, content: null });
  });

  it('runs operations by flags or --json and prints the result', () => {
    const created = call('create-session', '--name', 'from the shell', '--metadata', '{"project":"auth-service"}');
    expect(created.status, created.stderr).toBe(0);
    const session = JSON.parse(created.stdout) as { id: string; project: string };
    expect(session.project).toBe('auth-service');
    const added = call('add_message', '--json', JSON.stringify({ sessionId: session.id, role: 'user', content: 'hi' }));
    expect(added.status, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ created: true, message: { seq: 1 } });
    const page = call('get-messages', '--session-id', session.id, '--limit', '5', '--text');
    expect(page.stdout.trim()).toBe('1 message(s).');

    // The whole session as a file on stdout; with --max-chars, the bounded value (as MCP answers it).
    const file = call('export-session', '--session-id', session.id, '--format', 'markdown');
    expect(file.status, file.stderr).toBe(0);
    expect(file.stdout).toMatch(/^# from the shell\n[\s\S]*## 1\. user/);
    const bounded = call('export-session', '--session-id', session.id, '--max-chars', '10000');
    expect(bounded.status, bounded.stderr).toBe(0);
    expect(JSON.parse(bounded.stdout)).toMatchObject({ messages: 1, totalMessages: 1, truncated: false });
  });

  it('refuses bad input with one line and exit code 2; a missing session exits 1', () => {
    const bad = call('add-message', '--session-id', 'nope', '--role', 'robot', '--content', 'x');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/sessionId: must be a UUID/);
    expect(bad.stderr).toMatch(/role/);
    const json = call('create-session', '--json', '{nope');
    expect(json.status).toBe(2);
    expect(json.stderr).toMatch(/--json: is not valid JSON/);
    const missing = call('get-session', '--session-id', '0190f5c2-0000-7000-8000-000000000000');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/not_found|not found/);
  });
});
