import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const KAYAK = '-home-dev-kayak-planner/7f3c2a10-4b6e-4d21-9a8f-2c5e1b7d9e31.jsonl';

describe('session-buddy import (built CLI, SQLite file)', () => {
  let dir: string;
  let projects: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the e2e tests`);
    dir = mkdtempSync(join(tmpdir(), 'sb-history-'));
    // A copy: the test appends to a transcript and changes file times.
    projects = join(dir, 'projects');
    cpSync(join(FIXTURES, 'claude-code/projects'), projects, { recursive: true });
    env = {
      SESSION_BUDDY_MODE: 'lite',
      SESSION_BUDDY_DATABASE__SQLITE_PATH: join(dir, 'sb.sqlite'),
      SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports every transcript of a Claude Code projects folder, then finds them already present', () => {
    const first = cli('import', 'claude-code', '--dir', projects);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /^imported 3 transcripts from .*projects: 3 sessions \(3 new\), 16 lines, 12 messages created, 0 already present, 4 skipped, 0 failed in [\d.]+ s \(\d+ lines\/s\)\n$/,
    );
    const again = cli('import', 'claude-code', '--dir', projects);
    expect(again.stdout).toContain('3 sessions (0 new), 16 lines, 0 messages created, 12 already present');
  });

  it('keeps timestamps, and the messages are searchable by keyword', () => {
    const found = cli('search', 'harmonic constituents', '--kind', 'messages', '--search-mode', 'keyword', '--json');
    expect(found.status, found.stderr).toBe(0);
    const hits = (JSON.parse(found.stdout) as { items: Array<{ item: { createdAt: string; content: string } }> }).items;
    expect(hits.map((h) => h.item.createdAt)).toContain('2025-10-14T09:00:05.250Z');
    expect(hits[0]?.item.content).toMatch(/constituent/);
  });

  it('adds only the new lines of a transcript that grew; --since skips older files', () => {
    const file = join(projects, KAYAK);
    const last = readFileSync(file, 'utf8').trimEnd().split('\n').pop() as string;
    const grown = {
      ...JSON.parse(last),
      type: 'assistant',
      uuid: 'e1000000-0000-4000-8000-000000000011',
      timestamp: '2025-10-14T09:06:30.000Z',
      message: { role: 'assistant', content: [{ type: 'text', text: 'The sunrise window is now a setting.' }] },
    };
    appendFileSync(file, `${JSON.stringify(grown)}\n`);
    const old = new Date('2025-10-15T00:00:00Z');
    for (const f of [
      '-home-dev-kayak-planner/agent-5d1e9b2c.jsonl',
      '-home-dev-ledger-api/0b8e5d47-9c21-4f6a-b3d8-6e2f4a1c7b90.jsonl',
    ]) {
      utimesSync(join(projects, f), old, old);
    }
    const since = cli('import', 'claude-code', '--dir', projects, '--since', '2026-01-01');
    expect(since.status, since.stderr).toBe(0);
    expect(since.stdout).toContain('imported 1 transcripts');
    expect(since.stdout).toContain('1 session (0 new), 13 lines, 1 messages created, 8 already present');
  });

  it('imports one Markdown or JSONL file; bad lines are named and make the exit code 1', () => {
    const md = cli('import', 'file', join(FIXTURES, 'chat/chat.md'), '--format', 'markdown', '--project', 'baking');
    expect(md.status, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/into session [0-9a-f-]{36} \(baking: Sourdough starter care\): 1 session \(1 new\)/);
    const bad = cli('import', 'file', join(FIXTURES, 'claude-code/bad-lines.jsonl'), '--format', 'claude-code');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('2 messages created, 0 already present, 0 skipped, 3 failed');
    expect(bad.stderr).toContain('line 2: not valid JSON');
    expect(bad.stderr).toContain('line 3: timestamp: must be an ISO 8601 date-time');
    expect(bad.stderr).toContain('line 4: uuid: is required (a string)');
  });

  it('refuses bad flags in one line', () => {
    const since = cli('import', 'claude-code', '--dir', projects, '--since', 'last week');
    expect(since.status).toBe(2);
    expect(since.stderr.trim()).toBe('session-buddy: Invalid input: since: must be an ISO 8601 date, e.g. 2025-10-01');
    const project = cli('import', 'claude-code', '--dir', projects, '--project', 'a b');
    expect(project.status).toBe(2);
    expect(project.stderr).toContain('project');
    const missing = cli('import', 'claude-code', '--dir', join(dir, 'nowhere'));
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(`session-buddy: cannot read ${join(dir, 'nowhere')}`);
  });
});
