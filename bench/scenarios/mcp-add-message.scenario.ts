import { requestJson } from '../lib/http.js';
import { compareHttpTargets, type HttpTarget } from '../lib/http-compare.js';
import type { RequestTemplate } from '../lib/load.js';
import { siblingModule } from '../lib/paths.js';
import { createMigratedDatabase } from '../lib/postgres.js';
import type { Comparison, Measurement, Scenario, ScenarioContext } from '../lib/scenario.js';
import { type ServerProcess, startServerProcess } from '../lib/server-process.js';
import type { SessionBuddyServerSpec } from '../lib/servers/session-buddy.server.js';
import { committedConfig } from '../lib/settings.js';

/**
 * Lite mode embeds every message inside the API process, and the local model's cost per message
 * falls as batches fill: the slower side gets smaller batches and pays more per message, which would
 * measure the embedder rather than the front door. The hash provider keeps that work small and equal.
 * (Standard mode embeds in separate worker processes and runs as shipped.)
 */
const LITE_OVERRIDES = { mode: 'lite', embedding: { provider: 'hash' } };

/** Issue 11's target: MCP at least 80% of REST throughput. */
const TARGET_RATIO = 0.8;
const SESSION_BUDDY_SERVER = siblingModule(import.meta.url, '../lib/servers/session-buddy.server.js');

/** The same message as the add-message scenario: a few sentences and a little metadata. */
const MESSAGE = {
  role: 'user',
  content:
    'Refactor the session repository so that appends take a row lock, then add a contract test that ' +
    'runs against both adapters and checks that seq stays gap-free under concurrent writers.',
  metadata: { source: 'bench', tokens: 42 },
};

const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

function restRequest(sessionId: string): RequestTemplate {
  return {
    method: 'POST',
    path: `/v1/sessions/${sessionId}/messages`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(MESSAGE),
  };
}

function mcpRequest(sessionId: string): RequestTemplate {
  return {
    method: 'POST',
    path: '/mcp',
    headers: MCP_HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'add_message', arguments: { sessionId, ...MESSAGE } },
    }),
  };
}

/** Both sides run the same server (MCP enabled); only the front door differs. */
function target(
  name: string,
  overrides: Record<string, unknown>,
  request: (id: string) => RequestTemplate,
): HttpTarget {
  return {
    name,
    start: ({ label, cpuProfileDir }) =>
      startServerProcess(
        SESSION_BUDDY_SERVER,
        {
          overrides: { ...overrides, mcp: { enabled: true }, logging: { level: 'warn' } },
        } satisfies SessionBuddyServerSpec,
        { label, cpuProfileDir },
      ),
    prepare: async (server: ServerProcess, connections: number) => {
      const ready = await fetch(`${server.url}/readyz`);
      if (ready.status !== 200) throw new Error(`Session-Buddy is not ready: ${await ready.text()}`);
      const ids: string[] = [];
      for (let i = 0; i < connections; i++) {
        const session = await requestJson<{ id: string }>(`${server.url}/v1/sessions`, {
          body: { name: `bench ${name} ${i + 1}`, project: 'bench' },
        });
        ids.push(session.id);
      }
      return {
        requests: ids.map(request),
        countStored: async () => {
          let total = 0;
          for (const id of ids) {
            total += (await requestJson<{ messageCount: number }>(`${server.url}/v1/sessions/${id}`)).messageCount;
          }
          return total;
        },
      };
    },
  };
}

function compare(ctx: ScenarioContext, group: string, overrides: Record<string, unknown>) {
  return compareHttpTargets(ctx, {
    scenario: scenario.name,
    group,
    baseline: target('rest', overrides, restRequest),
    subject: target('mcp-http', overrides, mcpRequest),
    targetRatio: TARGET_RATIO,
  });
}

async function runStandard(ctx: ScenarioContext) {
  const { settings } = ctx;
  const database = await createMigratedDatabase(settings.pgAdminUrl, 'standard mode');
  ctx.log(`standard: throwaway database ${database.name}`);
  try {
    const { poolMax } = committedConfig({ mode: 'standard', database: { url: database.url } }).database;
    return await compare(ctx, 'standard', {
      mode: 'standard',
      database: { driver: 'postgres', url: database.url, poolMax, migrateOnStart: false },
      redis: { url: settings.redisUrl },
    });
  } finally {
    await database.drop();
    ctx.log(`standard: dropped ${database.name}`);
  }
}

export const scenario: Scenario = {
  name: 'mcp-add-message',
  description: 'add_message via MCP streamable HTTP (POST /mcp) vs REST POST /v1/sessions/:id/messages, same server',
  async run(ctx) {
    const measurements: Measurement[] = [];
    const comparisons: Comparison[] = [];
    for (const mode of ctx.settings.modes) {
      const { measurements: pair, comparison } =
        mode === 'lite' ? await compare(ctx, 'lite', LITE_OVERRIDES) : await runStandard(ctx);
      measurements.push(...pair);
      comparisons.push(comparison);
    }
    return {
      measurements,
      comparisons,
      notes: [
        `load: autocannon in its own process, ${ctx.settings.connections} keep-alive connections, one session each; ` +
          `${ctx.settings.rounds} round(s) of ${ctx.settings.warmupS}s warm-up + ${ctx.settings.durationS}s per target, ` +
          'fresh server processes each round, order alternating',
        'MCP is stateless: each POST gets its own transport and an idle server from a pool, answered as plain JSON',
        'lite mode uses the hash embedding provider on both sides (see LITE_OVERRIDES); standard mode runs as shipped',
      ],
    };
  },
};
