import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/core/ids.js';
import { contentHash } from '../../src/domain/reflection.model.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { AuthService } from '../../src/services/auth.service.js';
import { CLI, type RunningCli, runCli, startCli } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';

const SECRET = 'search-cli-test-secret-of-at-least-32-chars';
const HIT_LINE = /^\d\.\d{3} {2}(reflection|message) +[0-9a-f-]{36} {2}\S.*$/;

const lines = (out: string) => out.trim().split('\n').filter(Boolean);

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('session-buddy search', () => {
  let cli: RunningCli;
  let token: string;
  let remote: (args: string[], env?: Record<string, string>) => ReturnType<typeof runCli>;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the e2e tests`);
    // A lite server keeps its store in memory: --url is the only way for a CLI to search it.
    cli = await startCli(['--mode=lite'], {
      SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
      SESSION_BUDDY_AUTH__ENABLED: 'true',
      SESSION_BUDDY_AUTH__SECRET: SECRET,
    });
    token = await new AuthService(testConfig({ auth: { enabled: true, secret: SECRET } }).auth).issue('cli', 'default');
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${cli.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBeLessThan(300);
      return (await res.json()) as { id: string };
    };
    const session = await post('/v1/sessions', { name: 'queue work', project: 'api' });
    await post(`/v1/sessions/${session.id}/messages/batch`, {
      messages: [
        { role: 'user', content: 'Why do the workers in src/queue/worker.ts hammer Redis?' },
        { role: 'assistant', content: 'Add retry with exponential backoff and jitter to the worker loop' },
      ],
    });
    await post('/v1/reflections', {
      content: 'Retry with backoff and jitter, capped at five minutes',
      project: 'api',
      tags: ['retry'],
    });
    await post('/v1/reflections', {
      content: 'Jitter spreads reconnects of many clients',
      project: 'web',
      tags: ['net'],
    });
    remote = (args, env = {}) => runCli(['search', ...args, '--url', cli.url], { SESSION_BUDDY_TOKEN: token, ...env });
  });
  afterAll(async () => {
    expect(await cli?.stop()).toBe(0);
  });

  it('asks a running lite server with --url: one line per hit, best first', () => {
    const found = remote(['backoff jitter', '--search-mode', 'keyword']);
    expect(found.status, found.stderr).toBe(0);
    const hits = lines(found.stdout);
    expect(hits).toHaveLength(3);
    for (const line of hits) expect(line).toMatch(HIT_LINE);
    const scores = hits.map((l) => Number(l.slice(0, 5)));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(found.stdout).toContain('Retry with backoff and jitter, capped at five minutes');

    const one = lines(remote(['jitter', '--search-mode=keyword', '--kind=reflections', '--project=web']).stdout);
    expect(one).toHaveLength(1);
    expect(one[0]).toMatch(/ {2}reflection +.* {2}Jitter spreads reconnects of many clients$/);
    expect(lines(remote(['jitter', '--search-mode=keyword', '--tags', 'retry', '--limit', '5']).stdout)).toHaveLength(
      1,
    );
    expect(remote(['kubernetes', '--search-mode=keyword']).stdout).toBe('no matches\n');
  });

  it('prints the service result with --json, and takes the server from SESSION_BUDDY_URL', () => {
    const json = runCli(['search', 'worker', '--kind', 'messages', '--json'], {
      SESSION_BUDDY_URL: cli.url,
      SESSION_BUDDY_TOKEN: token,
    });
    expect(json.status, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout) as {
      items: Array<{ kind: string; item: { content: string }; explain: object }>;
      mode: string;
      model: string | null;
    };
    expect(result).toMatchObject({ mode: 'hybrid', model: 'hash-256' });
    expect(result.items.map((h) => h.kind)).toEqual(['message', 'message']);
    // Hybrid message search ranks the answer after a matching question first (docs/search.md), then the question.
    expect(result.items[0]).toMatchObject({
      item: { content: expect.stringContaining('worker loop') },
      explain: { context: expect.any(Number) },
    });
    expect(result.items[1]).toMatchObject({ item: { content: expect.stringContaining('src/queue/worker.ts') } });
  });

  it('shows the search shortcuts with --as, over REST with --url', () => {
    const quick = remote(['jitter', '--as', 'quick', '--search-mode', 'keyword']);
    expect(quick.status, quick.stderr).toBe(0);
    const [best, counts] = lines(quick.stdout);
    expect(best).toMatch(HIT_LINE);
    expect(counts).toBe('3 matches (2 reflections, 1 messages)');
    expect(remote(['kubernetes', '--as', 'quick', '--search-mode', 'keyword']).stdout).toBe('no matches\n');

    const file = lines(remote(['worker.ts', '--as', 'file']).stdout);
    expect(file).toHaveLength(1);
    expect(file[0]).toMatch(/^\S+ {2}message {5}[0-9a-f-]{36} {2}src\/queue\/worker\.ts ×1 {2}Why do the workers in/);
    const onlyReflections = remote(['worker.ts', '--as', 'file', '--kind', 'reflections']);
    expect(onlyReflections.stdout).toBe('nothing mentions worker.ts\n');

    const concept = JSON.parse(remote(['backoff and jitter', '--as', 'concept', '--json']).stdout) as {
      concept: string;
      reflections: Array<{ item: { content: string } }>;
      messages: object[];
      related: { tags: Array<{ name: string }> };
    };
    expect(concept.concept).toBe('backoff and jitter');
    expect(concept.reflections[0]?.item.content).toBe('Retry with backoff and jitter, capped at five minutes');
    expect(concept.messages.length).toBeGreaterThan(0);
    expect(concept.related.tags.map((t) => t.name)).toContain('retry');
    const conceptLines = lines(remote(['backoff and jitter', '--as', 'concept', '--kind', 'reflections']).stdout);
    expect(conceptLines.filter((l) => HIT_LINE.test(l)).length).toBeGreaterThan(0);
    expect(conceptLines).toContain('related projects: api (1), web (1)');

    const conversations = lines(remote(['backoff jitter', '--as', 'conversations', '--search-mode', 'keyword']).stdout);
    expect(conversations).toHaveLength(1);
    expect(conversations[0]).toMatch(
      /^\d\.\d{3} {2}[0-9a-f-]{36} {2}api {2}queue work {2}1 matches {2}.*backoff.*jitter/i,
    );
  });

  it('sends SESSION_BUDDY_TOKEN as bearer token, and says so in one line when the server refuses', () => {
    const refused = runCli(['search', 'jitter', '--url', cli.url]);
    expect(refused.status).toBe(1);
    expect(lines(refused.stderr)).toHaveLength(1);
    expect(refused.stderr).toMatch(/answered 401 unauthorized: Missing bearer token/);
  });

  it('refuses bad flags and bad input with one line and exit code 2', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['search'], {}, /missing required argument 'query'/],
      [['search', 'x', '--kind', 'everything'], {}, /--kind.*all, reflections, messages/],
      [['search', 'x', '--search-mode', 'fuzzy'], {}, /--search-mode.*hybrid, semantic, keyword/],
      [['search', 'x', '--limit', '0'], {}, /--limit.*1 to 100/],
      [['search', 'x', '--url', 'ftp://host'], {}, /--url.*http or https/],
      [['search', 'x', '--mode', 'heavy'], {}, /--mode.*lite, standard/],
      [['search', 'x', '--verbose'], {}, /unknown option '--verbose'/],
      [['search', 'x', '--as', 'everything'], {}, /--as.*results, quick, file, concept, conversations/],
      [['search', 'x', '--as', 'quick', '--limit', '3'], {}, /--limit does not apply to --as quick/],
      [['search', 'x', '--as', 'conversations', '--tags', 'a'], {}, /--tags does not apply to --as conversations/],
      [
        ['search', 'x', '--as', 'conversations', '--limit', '70', '--url', cli.url],
        { SESSION_BUDDY_TOKEN: token },
        /limit: /,
      ],
      [['search', './', '--as', 'file', '--url', cli.url], { SESSION_BUDDY_TOKEN: token }, /path: must name a file/],
      [['search', 'x'], { SESSION_BUDDY_URL: 'not a url' }, /SESSION_BUDDY_URL must be a URL/],
      [['search', '   ', '--url', cli.url], { SESSION_BUDDY_TOKEN: token }, /q: /],
      [
        ['search', 'x', '--kind', 'messages', '--tags', 'a', '--url', cli.url],
        { SESSION_BUDDY_TOKEN: token },
        /tags: /,
      ],
    ];
    for (const [args, env, message] of cases) {
      const run = runCli(args, env);
      expect(run.status, args.join(' ')).toBe(2);
      expect(lines(run.stderr), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
    const down = runCli(['search', 'x', '--url', `http://127.0.0.1:${await closedPort()}`]);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  describe('without --url', () => {
    let dir: string;
    let file: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sb-search-cli-'));
      file = join(dir, 'store.db');
      const store = new SqliteStore({ path: file });
      for (const content of ['Pin better-sqlite3 to 12 on Node 20', 'Node 22 needs better-sqlite3 13']) {
        await store.reflections.create({
          id: uuidv7(),
          tenantId: 'default',
          project: 'deps',
          sessionId: null,
          content,
          contentHash: contentHash(content),
          tags: ['deps'],
          importance: 0.5,
          metadata: {},
          createdAt: new Date().toISOString(),
        });
      }
      await store.close();
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('opens the configured SQLite file and searches it through the same service', () => {
      const env = { SESSION_BUDDY_DATABASE__SQLITE_PATH: file, SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash' };
      const found = runCli(['search', 'better-sqlite3 node 20', '--search-mode', 'keyword'], env);
      expect(found.status, found.stderr).toBe(0);
      const hits = lines(found.stdout);
      expect(hits).toHaveLength(2);
      expect(hits[0]).toMatch(HIT_LINE);
      expect(hits[0]).toContain('Pin better-sqlite3 to 12 on Node 20');
      // Hybrid embeds the query with the configured provider; these reflections have no vectors yet: text answers.
      const hybrid = JSON.parse(runCli(['search', 'node 20', '--json', '--limit', '1'], env).stdout) as {
        items: Array<{ kind: string; explain: { textRank: number | null } }>;
        mode: string;
      };
      expect(hybrid).toMatchObject({ mode: 'hybrid', items: [{ kind: 'reflection', explain: { textRank: 1 } }] });
      const bad = runCli(['search', '   '], env);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^session-buddy: Invalid input: q: /);

      // The shortcuts call the same service methods directly.
      const quick = lines(
        runCli(['search', 'better-sqlite3', '--as', 'quick', '--search-mode', 'keyword'], env).stdout,
      );
      expect(quick).toHaveLength(2);
      expect(quick[0]).toMatch(HIT_LINE);
      expect(quick[1]).toBe('2 matches (2 reflections, 0 messages)');
      const concept = runCli(['search', 'node 20', '--as', 'concept', '--kind', 'reflections'], env);
      expect(concept.status, concept.stderr).toBe(0);
      expect(concept.stdout).toMatch(/^related tags: deps \(2\)$/m);
      const mentions = JSON.parse(runCli(['search', 'package.json', '--as', 'file', '--json'], env).stdout);
      expect(mentions).toEqual({ path: 'package.json', items: [] });
      expect(runCli(['search', 'node', '--as', 'conversations'], env).stdout).toBe('no matches\n');
      const badPath = runCli(['search', '  ', '--as', 'file'], env);
      expect(badPath.status).toBe(2);
      expect(badPath.stderr).toMatch(/^session-buddy: Invalid input: path: must name a file or folder/);
    });
  });
});
