import { join } from 'node:path';
import { type LoadRunResult, type RequestTemplate, runLoad } from './load.js';
import { type Comparison, compareMeasurements, type Measurement, type ScenarioContext } from './scenario.js';
import type { ServerProcess } from './server-process.js';
import { summarize } from './stats.js';

/** One side of a comparison: a server and the requests to send it. */
export interface HttpTarget {
  /** Row label, e.g. `baseline` or `session-buddy`. */
  name: string;
  /** Starts a fresh server process (called once per round; see startServerProcess). */
  start(options: { label: string; cpuProfileDir?: string }): Promise<ServerProcess>;
  /**
   * Called on the started server before the load: create whatever the requests need (e.g. one
   * session per connection) and return one request template per connection.
   */
  prepare(server: ServerProcess, connections: number): Promise<PreparedLoad>;
}

export interface PreparedLoad {
  requests: RequestTemplate[];
  /**
   * Optional cross-check after the load: how many writes the server now holds for these requests.
   * Must be at least the number of 2xx answers (warm-up included), and at most that plus the
   * requests that were in flight when the load generator stopped.
   */
  countStored?: () => Promise<number>;
}

export interface CompareOptions {
  /** Groups the two rows, e.g. the storage mode. */
  group: string;
  baseline: HttpTarget;
  subject: HttpTarget;
  /** Smallest acceptable subject/baseline throughput ratio. */
  targetRatio: number;
  /** Used to name CPU profile folders. */
  scenario: string;
}

interface RoundRun {
  warmup: LoadRunResult | undefined;
  measured: LoadRunResult;
  /** CPU time (user + system, µs) the server process spent during the measured run. */
  serverCpuUs: number;
  problems: string[];
}

/**
 * Measures baseline and subject side by side: `settings.rounds` rounds, each starting fresh server
 * processes and alternating which side goes first, with the same load (connections, warm-up,
 * duration). Every response status is checked; any non-2xx answer, connection error, timeout or
 * stored-count mismatch marks the row invalid.
 */
export async function compareHttpTargets(
  ctx: ScenarioContext,
  options: CompareOptions,
): Promise<{ measurements: [Measurement, Measurement]; comparison: Comparison }> {
  const { settings } = ctx;
  const runs = new Map<HttpTarget, RoundRun[]>([
    [options.baseline, []],
    [options.subject, []],
  ]);
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? [options.baseline, options.subject] : [options.subject, options.baseline];
    for (const target of order) {
      const label = `${options.group}/${target.name} round ${round + 1}/${settings.rounds}`;
      ctx.log(`${label}: ${settings.connections} connections, ${settings.warmupS}s warm-up + ${settings.durationS}s`);
      const run = await runRound(ctx, options, target, label, round);
      runs.get(target)?.push(run);
      const m = run.measured;
      const problem = run.problems.length > 0 ? ` — ${run.problems[0]}` : '';
      ctx.log(
        `${label}: ${Math.round(m.ok2xx / m.durationS)} req/s, server CPU ${Math.round(run.serverCpuUs / m.ok2xx)} µs/req${problem}`,
      );
    }
  }
  const baseline = measurement(options.group, options.baseline.name, runs.get(options.baseline) ?? []);
  const subject = measurement(options.group, options.subject.name, runs.get(options.subject) ?? []);
  return {
    measurements: [baseline, subject],
    comparison: compareMeasurements(options.group, baseline, subject, options.targetRatio),
  };
}

async function runRound(
  ctx: ScenarioContext,
  options: CompareOptions,
  target: HttpTarget,
  label: string,
  round: number,
): Promise<RoundRun> {
  const { settings } = ctx;
  const cpuProfileDir = settings.cpuProfileDir
    ? join(settings.cpuProfileDir, `${options.scenario}-${options.group}-${target.name}-r${round + 1}`)
    : undefined;
  const server = await target.start({ label, cpuProfileDir });
  const problems: string[] = [];
  let run: RoundRun;
  try {
    const prepared = await target.prepare(server, settings.connections);
    const job = { url: server.url, requests: prepared.requests };
    const warmup = settings.warmupS > 0 ? await runLoad({ ...job, durationS: settings.warmupS }) : undefined;
    (globalThis as { gc?: () => void }).gc?.();
    const cpuBefore = await server.cpuUsage();
    const measured = await runLoad({ ...job, durationS: settings.durationS });
    const cpuAfter = await server.cpuUsage();
    const serverCpuUs = cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system;

    const loads = [warmup, measured].filter((r): r is LoadRunResult => r !== undefined);
    problems.push(...responseProblems(loads));
    if (prepared.countStored) {
      const stored = await prepared.countStored();
      const answered = loads.reduce((n, r) => n + r.ok2xx, 0);
      // Requests in flight when a run stopped, or abandoned on timeout, may still have been stored.
      const inFlight = loads.length * prepared.requests.length + loads.reduce((n, r) => n + r.timeouts + r.errors, 0);
      if (stored < answered) problems.push(`server answered 2xx ${answered} times but holds ${stored} writes`);
      else if (stored > answered + inFlight) {
        problems.push(`server holds ${stored} writes, more than 2xx answers (${answered}) + in flight (${inFlight})`);
      }
    }
    run = { warmup, measured, serverCpuUs, problems };
  } catch (error) {
    await server.stop().catch(() => {});
    throw error;
  }
  try {
    await server.stop();
  } catch (error) {
    problems.push((error as Error).message.split('\n')[0] ?? 'server did not stop cleanly');
  }
  if (cpuProfileDir) ctx.log(`${label}: CPU profile in ${cpuProfileDir}`);
  return run;
}

function responseProblems(loads: LoadRunResult[]): string[] {
  const problems: string[] = [];
  const non2xx = loads.reduce((n, r) => n + r.non2xx, 0);
  const errors = loads.reduce((n, r) => n + r.errors + r.timeouts, 0);
  const samples = [...new Set(loads.flatMap((r) => r.samples))].slice(0, 3).join('; ');
  if (non2xx > 0) {
    const statuses: Record<string, number> = {};
    for (const r of loads) {
      for (const [code, count] of Object.entries(r.statusCodes)) {
        if (!code.startsWith('2')) statuses[code] = (statuses[code] ?? 0) + count;
      }
    }
    problems.push(`${non2xx} non-2xx responses ${JSON.stringify(statuses)} (${samples})`);
  }
  if (errors > 0) problems.push(`${errors} connection errors or timeouts (${samples})`);
  if (loads.at(-1)?.ok2xx === 0) problems.push('no successful response in the measured run');
  return problems;
}

function measurement(group: string, target: string, runs: RoundRun[]): Measurement {
  const measured = runs.map((r) => r.measured);
  const all = runs.flatMap((r) => [r.warmup, r.measured]).filter((r): r is LoadRunResult => !!r);
  const requests = measured.reduce((n, r) => n + r.ok2xx, 0);
  const durationS = measured.reduce((n, r) => n + r.durationS, 0);
  const cpuUs = runs.reduce((n, r) => n + r.serverCpuUs, 0);
  return {
    group,
    target,
    requests,
    durationS,
    rps: requests / durationS,
    latencyMs: summarize(measured.map((r) => r.latenciesMs)),
    serverCpuUsPerRequest: cpuUs / requests,
    non2xx: all.reduce((n, r) => n + r.non2xx, 0),
    errors: all.reduce((n, r) => n + r.errors + r.timeouts, 0),
    rounds: runs.map((r) => {
      const s = summarize([r.measured.latenciesMs]);
      return {
        rps: r.measured.ok2xx / r.measured.durationS,
        p50: s.p50,
        p99: s.p99,
        serverCpuUsPerRequest: r.serverCpuUs / r.measured.ok2xx,
      };
    }),
    problems: runs.flatMap((r, i) => r.problems.map((p) => `round ${i + 1}: ${p}`)),
  };
}
