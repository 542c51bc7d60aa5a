import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/core/ids.js';
import { VERSION } from '../../src/core/version.js';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { runCli, startCli } from '../helpers/cli.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';

describe('CLI', () => {
  it('prints its version and help', () => {
    expect(runCli(['--version']).stdout.trim()).toBe(VERSION);
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    for (const command of ['start', 'migrate', 'config']) expect(help.stdout).toContain(command);
  });

  it('shows the effective config with sources and redacted secrets', () => {
    const shown = runCli(['config', 'show'], {
      SESSION_BUDDY_SERVER__PORT: '9999',
      SESSION_BUDDY_AUTH__SECRET: 'super-secret-value-super-secret-value',
    });
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^server\.port\s+9999\s+env SESSION_BUDDY_SERVER__PORT$/m);
    expect(shown.stdout).toMatch(/^database\.driver\s+sqlite\s+file .*lite\.yaml$/m);
    expect(shown.stdout).toMatch(/^auth\.secret\s+\*\*\*/m);
    expect(shown.stdout).not.toContain('super-secret-value');
    const json = JSON.parse(runCli(['config', 'show', '--json', '--mode=standard']).stdout) as Array<{ key: string }>;
    expect(json.find((r) => r.key === 'database.driver')).toMatchObject({ value: 'postgres' });
  });

  it('refuses invalid config with one line naming key, source and reason, and exit code 2', () => {
    const bad = runCli(['start'], { SESSION_BUDDY_SERVER__PORT: 'eighty' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/server\.port \(from env SESSION_BUDDY_SERVER__PORT\): /);
    const badFlag = runCli(['start', '--port=70000']);
    expect(badFlag.status).not.toBe(0);
    expect(badFlag.stderr).toMatch(/--port.*65535/);
  });

  describe('lite mode', () => {
    it('serves the API with no services, then shuts down on SIGTERM after finishing in-flight requests', async () => {
      const cli = await startCli(['--mode=lite']);
      const ready = await fetch(`${cli.url}/readyz`);
      expect(ready.status).toBe(200);
      const created = await fetch(`${cli.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'e2e' }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };

      // Start a request, send half its body, signal the server, then finish: it must still be answered.
      const body = JSON.stringify({ role: 'user', content: 'sent across a shutdown' });
      const { port } = new URL(cli.url);
      const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: `/v1/sessions/${id}/messages`,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          cli.proc.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(10)), 200);
        }, 100);
      });
      const result = await answered;
      expect(result.status).toBe(201);
      expect(JSON.parse(result.body)).toMatchObject({ content: 'sent across a shutdown', seq: 1 });
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toContain('"msg":"stopped"');
      await expect(fetch(`${cli.url}/healthz`)).rejects.toThrow();
    });
  });

  describe('standard mode', () => {
    let db: TestDatabase;
    const env = () => ({
      SESSION_BUDDY_MODE: 'standard',
      SESSION_BUDDY_DATABASE__URL: db.url,
      SESSION_BUDDY_REDIS__URL: REDIS_URL,
      SESSION_BUDDY_REDIS__PREFIX: randomPrefix('cli'),
    });
    beforeAll(async () => {
      db = await createTestDatabase('cli');
    });
    afterAll(() => db.drop());

    it('refuses to start on an unmigrated database, migrates once, then serves', async () => {
      const early = runCli(['start', '--port=0'], env());
      expect(early.status).toBe(1);
      expect(early.stderr).toMatch(/not migrated.*session-buddy migrate/);
      const first = runCli(['migrate'], env());
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/applied \d+ migration\(s\) to postgres: 0001_sessions_messages\.sql, 0002_/);
      expect(runCli(['migrate'], env()).stdout).toMatch(/already up to date/);

      const cli = await startCli([], env());
      const ready = (await (await fetch(`${cli.url}/readyz`)).json()) as {
        dependencies: Array<{ name: string; state: string }>;
      };
      expect(ready.dependencies).toEqual([
        expect.objectContaining({ name: 'postgresql', state: 'up' }),
        expect.objectContaining({ name: 'redis', state: 'up' }),
        // No worker consumes the analytics queue here: reported, not critical (analytics reads answer 503).
        expect.objectContaining({ name: 'analytics (circuit)', state: 'up', critical: false }),
        expect.objectContaining({
          name: 'analytics owner (remote)',
          state: 'down',
          critical: false,
          error: expect.stringMatching(/no process holds the analytics database.*worker --queues analytics/),
        }),
      ]);
      expect(await cli.stop('SIGINT')).toBe(0);
    });

    it('lets an operator list, show and discard dead letters, and explains bad selections in one line', async () => {
      const store = new PostgresStore({ url: db.url });
      await store.migrate();
      const failedAt = new Date(Date.now() - 3 * 3_600_000).toISOString();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const letter = await store.deadLetters.record({
          id: uuidv7(),
          tenantId: i === 2 ? 'other-tenant' : 'default',
          queue: 'embedding',
          jobName: 'embed-messages',
          jobKey: `cli-dl-${i}`,
          payload: { messageIds: [uuidv7()] },
          error: i === 0 ? 'circuit breaker is open' : 'request timed out',
          stack: 'Error: boom\n    at provider.ts:1',
          attempts: 5,
          attemptHistory:
            i === 0
              ? [
                  { attempt: 1, at: failedAt, error: 'ProviderError', code: '500', message: 'HTTP 500 from provider' },
                  { attempt: 2, at: failedAt, error: 'BreakerOpenError', message: 'circuit breaker is open' },
                ]
              : undefined,
          failedAt,
        });
        ids.push(letter.id);
      }
      await store.close();

      const list = runCli(['dlq', 'list'], env());
      expect(list.status).toBe(0);
      expect(list.stdout).toContain('3 of 3 shown');
      expect(list.stdout).toContain('embedding/embed-messages');
      // Each line names the tenant and the message, and the first distinct cause behind the last error.
      expect(list.stdout).toMatch(/tenant=other-tenant message=[0-9a-f-]{36} +request timed out/);
      expect(list.stdout).toMatch(/circuit breaker is open +\(first: ProviderError \[500\]: HTTP 500 from provider\)/);
      expect(list.stdout).not.toContain('at provider.ts:1');
      // Redis unreachable: listing needs only the store; the queue's warnings are one line each, without stacks.
      const noRedis = runCli(['dlq', 'list'], { ...env(), SESSION_BUDDY_REDIS__URL: 'redis://127.0.0.1:1' });
      expect(noRedis.status).toBe(0);
      expect(noRedis.stdout).toContain('3 of 3 shown');
      expect(noRedis.stderr).not.toMatch(/^\s+at /m);
      expect(noRedis.stderr).not.toContain('\\n    at ');
      const show = runCli(['dlq', 'show', ids[0] as string], env());
      expect(show.stdout).toMatch(/error: +circuit breaker is open/);
      expect(show.stdout).toMatch(/first cause: ProviderError \[500\]: HTTP 500 from provider/);
      expect(show.stdout).toMatch(/#1 .* ProviderError \[500\]: HTTP 500 from provider/);
      expect(show.stdout).toContain('at provider.ts:1');
      const discard = runCli(['dlq', 'discard', '--error', 'timed out', '--older-than', '1h'], env());
      expect(discard.stdout).toMatch(/discarded 2 of 2/);
      const open = JSON.parse(runCli(['dlq', 'list', '--json'], env()).stdout) as { total: number };
      expect(open.total).toBe(1);

      const none = runCli(['dlq', 'retry'], env());
      expect(none.status).toBe(1);
      expect(none.stderr.trim().split('\n')).toHaveLength(1);
      expect(none.stderr).toMatch(/by id, by filter .* or --all/);
      const badAge = runCli(['dlq', 'list', '--older-than', 'yesterday'], env());
      expect(badAge.status).not.toBe(0);
      expect(badAge.stderr).toMatch(/30s, 15m, 2h or 7d/);
      const missing = runCli(['dlq', 'show', uuidv7()], env());
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/dead letter '.*' not found/);
    });
  });
});
