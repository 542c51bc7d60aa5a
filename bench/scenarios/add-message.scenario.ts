import { randomBytes } from 'node:crypto';
import { requestJson } from '../lib/http.js';
import { compareHttpTargets, type HttpTarget } from '../lib/http-compare.js';
import type { RequestTemplate } from '../lib/load.js';
import { siblingModule } from '../lib/paths.js';
import { createMigratedDatabase } from '../lib/postgres.js';
import { throwawayRedisPrefix } from '../lib/redis.js';
import type { Comparison, Measurement, Scenario, ScenarioContext } from '../lib/scenario.js';
import { startServerProcess } from '../lib/server-process.js';
import type { SessionBuddyServerSpec } from '../lib/servers/session-buddy.server.js';
import { committedConfig, mergeConfig } from '../lib/settings.js';
import type { BaselineSpec } from './add-message.baseline.js';

const TARGET_RATIO = 0.5;
const SESSION_BUDDY_SERVER = siblingModule(import.meta.url, '../lib/servers/session-buddy.server.js');
const BASELINE_SERVER = siblingModule(import.meta.url, './add-message.baseline.js');

/** A typical chat message: a few sentences and a little metadata. */
const MESSAGE_BODY = JSON.stringify({
  role: 'user',
  content:
    'Refactor the session repository so that appends take a row lock, then add a contract test that ' +
    'runs against both adapters and checks that seq stays gap-free under concurrent writers.',
  metadata: { source: 'bench', tokens: 42 },
});

function messageRequests(sessionIds: string[]): RequestTemplate[] {
  return sessionIds.map((id) => ({
    method: 'POST',
    path: `/v1/sessions/${id}/messages`,
    headers: { 'content-type': 'application/json' },
    body: MESSAGE_BODY,
  }));
}

function sessionBuddyTarget(ctx: ScenarioContext, own: Record<string, unknown>): HttpTarget {
  const overrides = mergeConfig(own, ctx.settings.sessionBuddyConfig);
  return {
    name: 'session-buddy',
    start: ({ label, cpuProfileDir }) =>
      startServerProcess(SESSION_BUDDY_SERVER, { overrides } satisfies SessionBuddyServerSpec, {
        label,
        cpuProfileDir,
      }),
    prepare: async (server, connections) => {
      const ready = await fetch(`${server.url}/readyz`);
      if (ready.status !== 200) throw new Error(`Session-Buddy is not ready: ${await ready.text()}`);
      const ids: string[] = [];
      for (let i = 0; i < connections; i++) {
        const session = await requestJson<{ id: string }>(`${server.url}/v1/sessions`, {
          body: { name: `bench ${i + 1}`, project: 'bench' },
        });
        ids.push(session.id);
      }
      return {
        requests: messageRequests(ids),
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

function baselineTarget(spec: BaselineSpec): HttpTarget {
  return {
    name: 'baseline',
    start: ({ label, cpuProfileDir }) => startServerProcess(BASELINE_SERVER, spec, { label, cpuProfileDir }),
    prepare: async (server, connections) => {
      const ids: string[] = [];
      for (let i = 0; i < connections; i++) {
        ids.push((await requestJson<{ id: string }>(`${server.url}/sessions`, { method: 'POST' })).id);
      }
      return {
        requests: messageRequests(ids),
        countStored: async () => {
          let total = 0;
          for (const id of ids) {
            total += (await requestJson<{ count: number }>(`${server.url}/sessions/${id}/stored`)).count;
          }
          return total;
        },
      };
    },
  };
}

async function runLite(ctx: ScenarioContext) {
  return compareHttpTargets(ctx, {
    scenario: scenario.name,
    group: 'lite',
    baseline: baselineTarget({ mode: 'lite' }),
    subject: sessionBuddyTarget(ctx, { mode: 'lite', logging: { level: 'warn' } }),
    targetRatio: TARGET_RATIO,
  });
}

async function runStandard(ctx: ScenarioContext) {
  const { settings } = ctx;
  const database = await createMigratedDatabase(settings.pgAdminUrl, 'standard mode');
  ctx.log(`standard: throwaway database ${database.name}, migrations applied: ${database.migrations.join(', ')}`);
  // Its own Redis prefix, removed afterwards: the jobs it publishes must not pile up on a shared server.
  const redis = throwawayRedisPrefix(settings.redisUrl, `sb-bench-${randomBytes(4).toString('hex')}`);
  try {
    // The pool size Session-Buddy would use in standard mode; the baseline gets the same.
    const { poolMax } = committedConfig({ mode: 'standard', database: { url: database.url } }).database;
    return await compareHttpTargets(ctx, {
      scenario: scenario.name,
      group: 'standard',
      baseline: baselineTarget({ mode: 'standard', databaseUrl: database.url, poolMax }),
      subject: sessionBuddyTarget(ctx, {
        mode: 'standard',
        database: { driver: 'postgres', url: database.url, poolMax, migrateOnStart: false },
        redis: { url: settings.redisUrl, prefix: redis.prefix },
        logging: { level: 'warn' },
      }),
      targetRatio: TARGET_RATIO,
    });
  } finally {
    await redis.drop().catch(() => undefined);
    await database.drop();
    ctx.log(`standard: dropped ${database.name}`);
  }
}

export const scenario: Scenario = {
  name: 'add-message',
  description: 'POST /v1/sessions/:id/messages, Session-Buddy vs bare Hono + the same single INSERT',
  async run(ctx) {
    const measurements: Measurement[] = [];
    const comparisons: Comparison[] = [];
    for (const mode of ctx.settings.modes) {
      const { measurements: pair, comparison } = mode === 'lite' ? await runLite(ctx) : await runStandard(ctx);
      measurements.push(...pair);
      comparisons.push(comparison);
    }
    const extra = ctx.settings.sessionBuddyConfig;
    return {
      measurements,
      comparisons,
      notes: [
        ...(Object.keys(extra).length > 0
          ? [`NOT AS SHIPPED: Session-Buddy config overridden by BENCH_SB_CONFIG=${JSON.stringify(extra)}`]
          : []),
        `load: autocannon in its own process, ${ctx.settings.connections} keep-alive connections, one session each; ` +
          `${ctx.settings.rounds} round(s) of ${ctx.settings.warmupS}s warm-up + ${ctx.settings.durationS}s per target, ` +
          'fresh server processes each round, order alternating',
      ],
    };
  },
};
