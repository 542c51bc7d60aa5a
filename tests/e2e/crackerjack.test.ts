import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, startCli } from '../helpers/cli.js';
import { call, type Mode, type ModeEnvironment, modeEnvironment, ok, textOf } from './mcp-harness.js';

/**
 * Plays Crackerjack: the real MCP SDK client over streamable HTTP with auth on, sending exactly the documented
 * snake_case arguments (docs/ecosystem.md, "Crackerjack"), and its habitual store_reflection and health_check calls
 * as it sends them, in lite and standard mode.
 */
const SECRET = 'crackerjack-e2e-secret-0123456789abcdef';
const PROJECT = 'auth-service';

type Json = Record<string, unknown>;
interface Run extends Json {
  id: string;
  tool: string;
  failed: number;
  coverage: number | null;
  lint_errors: number | null;
  duration_ms: number;
  ran_at: string;
}
interface Bucket extends Json {
  key: string;
  failed: number;
  coverage: number | null;
  lint_errors: number | null;
  regressions: string[];
}
interface Trends extends Json {
  project: string;
  period: string;
  runs: number;
  tools: { tool: string; runs: number; latest: Run; by_day: Bucket[]; by_commit: Bucket[] }[];
  regressions: { tool: string; by: string; key: string; flags: string[] }[];
}

describe.each<Mode>(['lite', 'standard'])('Crackerjack over MCP HTTP with auth, %s mode', (mode) => {
  let environment: ModeEnvironment;
  let server: RunningCli;
  let client: Client;

  beforeAll(async () => {
    environment = await modeEnvironment(mode);
    server = await startCli([`--mode=${mode}`, '--mcp'], {
      ...environment.env,
      SESSION_BUDDY_AUTH__ENABLED: 'true',
      SESSION_BUDDY_AUTH__SECRET: SECRET,
    });
    const token = await new SignJWT({ tenant: 'crackerjack' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('crackerjack')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    client = new Client({ name: 'crackerjack', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await environment?.drop();
  });

  it('health_check and store_reflection {content, tags} work as Crackerjack sends them', async () => {
    const health = await ok<Json>(client, 'health_check', {});
    expect(health).toMatchObject({ status: 'ok', mode });
    const stored = await ok<Json>(client, 'store_reflection', {
      content: 'Crackerjack: pytest failures in auth-service fixed by pinning pyjwt',
      tags: ['crackerjack', 'quality'],
    });
    expect(stored).toMatchObject({ created: true });
    const again = await ok<Json>(client, 'store_reflection', {
      content: 'Crackerjack: pytest failures in auth-service fixed by pinning pyjwt',
      tags: ['crackerjack', 'quality'],
    });
    expect(again).toMatchObject({ created: false });
  });

  it('records quality runs and reads trends, history and metrics with the documented arguments', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const first = await ok<{ run: Run; created: boolean }>(client, 'record_quality_run', {
      project: PROJECT,
      commit: 'a1b2c3d',
      tool: 'pytest',
      passed: 120,
      failed: 1,
      skipped: 3,
      coverage: 84.2,
      lint_errors: 2,
      duration_ms: 45_310,
      details: { failing_tests: ['tests/test_jwt.py::test_refresh'] },
      ran_at: `${yesterday}T15:00:00Z`,
      idempotency_key: 'crackerjack-run-1',
    });
    expect(first.created).toBe(true);
    expect(first.run).toMatchObject({ tool: 'pytest', failed: 1, coverage: 84.2, lint_errors: 2, duration_ms: 45_310 });
    // A retry with the same key stores nothing new.
    const retry = await ok<{ run: Run; created: boolean }>(client, 'record_quality_run', {
      project: PROJECT,
      commit: 'a1b2c3d',
      tool: 'pytest',
      passed: 120,
      failed: 1,
      skipped: 3,
      duration_ms: 45_310,
      idempotency_key: 'crackerjack-run-1',
    });
    expect(retry).toEqual({ run: first.run, created: false });
    await ok(client, 'record_quality_run', {
      project: PROJECT,
      commit: 'e4f5a6b',
      tool: 'pytest',
      passed: 118,
      failed: 3,
      skipped: 3,
      coverage: 83.9,
      lint_errors: 2,
      duration_ms: 47_002,
    });

    const trends = await ok<Trends>(client, 'get_quality_trends', { project: PROJECT, period: '7d' });
    expect(trends).toMatchObject({ project: PROJECT, period: '7d', runs: 2 });
    const pytest = trends.tools[0];
    expect(pytest?.by_day.map((b) => [b.key, b.failed, b.regressions])).toEqual([
      [yesterday, 1, []],
      [today, 3, ['failures_up', 'coverage_down']],
    ]);
    expect(pytest?.by_commit.map((b) => [b.key, b.lint_errors, b.regressions])).toEqual([
      ['a1b2c3d', 2, []],
      ['e4f5a6b', 2, ['failures_up', 'coverage_down']],
    ]);
    expect(trends.regressions.map((r) => [r.by, r.key, r.flags])).toEqual([
      ['day', today, ['failures_up', 'coverage_down']],
      ['commit', 'e4f5a6b', ['failures_up', 'coverage_down']],
    ]);

    // The original system's names and argument keys.
    const history = await ok<{ project: string; items: Run[] }>(client, 'crackerjack_history', {
      working_directory: `/home/dev/projects/${PROJECT}`,
      command_filter: 'pytest',
      days: 7,
    });
    expect(history.project).toBe(PROJECT);
    expect(history.items.map((r) => r.failed)).toEqual([3, 1]);
    const metrics = await ok<Trends>(client, 'crackerjack_metrics', {
      working_directory: `/home/dev/projects/${PROJECT}`,
      days: 7,
    });
    expect(metrics).toEqual(trends);

    // Bad input: isError naming the field.
    const bad = await call(client, 'record_quality_run', {
      project: PROJECT,
      tool: 'pytest',
      passed: 1,
      failed: 0,
      coverage: 150,
      duration_ms: 1,
    });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/coverage/);
  });
});
