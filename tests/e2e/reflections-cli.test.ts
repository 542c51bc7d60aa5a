import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/mcp-memory.jsonl', import.meta.url));

describe('session-buddy reflections import / export (built CLI, SQLite file)', () => {
  let dir: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(['reflections', ...args], env);
  const exportedLines = () =>
    cli('export')
      .stdout.split('\n')
      .filter((l) => l !== '').length;

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the e2e tests`);
    dir = mkdtempSync(join(tmpdir(), 'sb-transfer-'));
    env = {
      SESSION_BUDDY_MODE: 'lite',
      SESSION_BUDDY_DATABASE__SQLITE_PATH: join(dir, 'sb.sqlite'),
      SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports an MCP memory file once, then finds everything already present', () => {
    const first = cli('import', '--format', 'memory-json', FIXTURE);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /^imported .*mcp-memory\.jsonl \(memory-json\): 9 lines, 14 created, 0 already present, 0 failed in [\d.]+ s \(\d+ reflections\/s\)\n$/,
    );
    const again = cli('import', '--format', 'memory-json', FIXTURE);
    expect(again.stdout).toContain('9 lines, 0 created, 14 already present, 0 failed');
  });

  it('exports JSON lines to a file and Markdown to stdout, filtered by project and tags', () => {
    const out = join(dir, 'export.jsonl');
    const toFile = cli('export', '--format', 'jsonl', '--out', out);
    expect(toFile.status, toFile.stderr).toBe(0);
    expect(toFile.stdout).toBe('');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(14);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      type: 'reflection',
      content: 'Ana_Ruiz (person): Leads the payments team',
    });

    const md = cli('export', '--format', 'markdown', '--tags', 'relation');
    expect(md.status).toBe(0);
    expect(md.stdout).toMatch(/^# Reflections\n/);
    expect(md.stdout).toContain('Acme Corp uses Payments_API');
    expect(md.stdout).toContain('\n4 reflections.\n');
    expect(cli('export', '--project', 'elsewhere').stdout).toBe('');
    const bad = cli('export', '--from', 'last tuesday');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('from: must be an ISO 8601 date-time');
  });

  it('round-trips: its own JSONL export imports back as duplicates, or fresh into another project', () => {
    const out = join(dir, 'export.jsonl');
    expect(cli('import', '--format', 'jsonl', out).stdout).toContain(
      '14 lines, 0 created, 14 already present, 0 failed',
    );
    const moved = cli('import', '--format', 'jsonl', '--project', 'copy', out);
    expect(moved.stdout).toContain('14 lines, 14 created, 0 already present, 0 failed');
    expect(cli('export', '--project', 'copy').stdout.trimEnd().split('\n')).toHaveLength(14);
  });

  it('reports bad lines by number; --strict writes nothing', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      [
        '{"type":"entity","name":"Dee","entityType":"person","observations":["Owns the billing cron"]}',
        '{"type":"entity","name":',
        '',
        '{"type":"relation","from":"Dee","relationType":"owns"}',
      ].join('\n'),
    );
    const before = exportedLines();
    const strict = cli('import', '--format', 'memory-json', '--strict', bad);
    expect(strict.status).toBe(2);
    expect(strict.stderr).toMatch(/^line 2: not valid JSON/m);
    expect(strict.stderr).toMatch(/^line 4: to: is required$/m);
    expect(strict.stderr).toContain('Import aborted (strict), nothing was written: 2 errors');
    expect(exportedLines()).toBe(before);

    const lenient = cli('import', '--format', 'memory-json', bad);
    expect(lenient.status).toBe(1);
    expect(lenient.stdout).toContain('3 lines, 1 created, 0 already present, 2 failed');
    expect(lenient.stderr).toMatch(/^line 4: to: is required$/m);
    expect(exportedLines()).toBe(before + 1);
  });

  it('adds, gets, counts and deletes one reflection through the reflection service', () => {
    const added = cli(
      'add',
      'Retry with backoff and jitter in the worker loop',
      '--tags',
      'retry, net',
      '--project',
      'cli',
    );
    expect(added.status, added.stderr).toBe(0);
    const [, id] = /^stored ([0-9a-f-]{36})\n$/.exec(added.stdout) ?? [];
    expect(id).toBeDefined();
    expect(cli('add', 'retry with  backoff and jitter in the worker loop', '--project', 'cli').stdout).toBe(
      `already stored ${id}\n`,
    );
    // Not an exact repeat (punctuation), so stored; the hash embedding finds the first as a near duplicate.
    const near = cli('add', 'Retry with backoff and jitter in the worker loop!', '--project', 'cli', '--json');
    const stored = JSON.parse(near.stdout) as {
      created: boolean;
      reflection: { id: string };
      nearDuplicates: object[];
    };
    expect(stored).toMatchObject({ created: true, nearDuplicates: [{ id }] });

    const shown = cli('get', id as string);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^project: +cli$/m);
    expect(shown.stdout).toMatch(/^tags: +retry, net$/m);
    expect(shown.stdout).toContain('content:\nRetry with backoff and jitter in the worker loop\n');
    expect(JSON.parse(cli('get', id as string, '--json').stdout)).toMatchObject({ id, importance: 0.5 });

    const stats = cli('stats', '--project', 'cli');
    expect(stats.status, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/^reflections: 2 in cli$/m);
    expect(stats.stdout).toMatch(/^tags: +net 1, retry 1$/m);
    expect(stats.stdout).toMatch(/^embedded: +2 of 2 with hash-256 \(100%\)$/m);
    expect(JSON.parse(cli('stats', '--json').stdout)).toMatchObject({ activeModel: 'hash-256', byProject: { cli: 2 } });

    expect(cli('delete', stored.reflection.id).stdout).toBe(`deleted ${stored.reflection.id}\n`);
    const gone = cli('get', stored.reflection.id);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toBe(`session-buddy: reflection '${stored.reflection.id}' not found\n`);
    expect(JSON.parse(cli('stats', '--project', 'cli', '--json').stdout)).toMatchObject({ total: 1 });
  });

  it('refuses input the reflection service rejects with one line naming the field, exit code 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['add', 'x', '--importance', '2'], /^session-buddy: Invalid input: importance: /],
      [['add', '   '], /^session-buddy: Invalid input: content: must not be blank/],
      [['add', 'x', '--session-id', 'abc'], /sessionId: must be a UUID/],
      [['get', 'abc'], /reflectionId: must be a UUID/],
      [['delete', 'abc'], /reflectionId: must be a UUID/],
      [['add'], /missing required argument 'content'/],
      [['stats', '--verbose'], /unknown option '--verbose'/],
    ];
    for (const [args, message] of cases) {
      const run = cli(...args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
  });

  it('refuses a missing --format, an unknown format and a missing file', () => {
    expect(cli('import', FIXTURE).stderr).toContain("required option '--format <format>' not specified");
    const unknown = cli('import', '--format', 'csv', FIXTURE);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/--format.*csv.*memory-json, jsonl/);
    const missing = cli('import', '--format', 'jsonl', join(dir, 'nope.jsonl'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('cannot read');
  });
});
