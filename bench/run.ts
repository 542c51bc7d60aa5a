/**
 * `npm run bench [-- <scenario> ... [--option value ...]]`: runs every scenario in bench/scenarios (or the ones named;
 * long ones such as `soak` only when named; options such as `--minutes 10` go to the scenarios),
 * prints a table per scenario and writes bench/results/latest.json. Exit code 1 when a scenario
 * failed or a measurement is invalid (non-2xx answers, connection errors, lost writes).
 *
 * Environment: BENCH_DURATION_S (10), BENCH_WARMUP_S (2), BENCH_CONNECTIONS (32), BENCH_ROUNDS (2),
 * BENCH_MODES (lite,standard), BENCH_PG_ADMIN_URL, BENCH_REDIS_URL, BENCH_CPU_PROF (1 or a folder),
 * BENCH_SB_CONFIG (JSON config overrides for the Session-Buddy servers, for experiments).
 * See lib/scenario.ts for what each one means.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runPendingCleanups } from './lib/cleanup.js';
import { packageRoot, resultsDir, siblingModule } from './lib/paths.js';
import type { BenchSettings, Scenario, ScenarioOutcome } from './lib/scenario.js';
import { renderScenario } from './lib/table.js';

function numberFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}, got '${raw}'`);
  return value;
}

function jsonObjectFromEnv(name: string): Record<string, unknown> {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new Error(`${name} must be a JSON object: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${name} must be a JSON object`);
  return value as Record<string, unknown>;
}

function readSettings(): BenchSettings {
  const modes = (process.env.BENCH_MODES ?? 'lite,standard')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  for (const mode of modes) {
    if (mode !== 'lite' && mode !== 'standard') throw new Error(`BENCH_MODES: unknown mode '${mode}'`);
  }
  const prof = process.env.BENCH_CPU_PROF;
  return {
    durationS: numberFromEnv('BENCH_DURATION_S', 10, 1),
    warmupS: numberFromEnv('BENCH_WARMUP_S', 2, 0),
    connections: Math.floor(numberFromEnv('BENCH_CONNECTIONS', 32, 1)),
    rounds: Math.floor(numberFromEnv('BENCH_ROUNDS', 3, 1)),
    modes: modes as BenchSettings['modes'],
    pgAdminUrl: process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    sessionBuddyConfig: jsonObjectFromEnv('BENCH_SB_CONFIG'),
    cpuProfileDir:
      prof === undefined || prof === '' || prof === '0'
        ? undefined
        : prof === '1'
          ? join(resultsDir(), 'profiles')
          : prof,
  };
}

/** Scenario names, from the files in dist/bench/scenarios: `<name>.scenario.js`. */
function scenarioNames(): string[] {
  return readdirSync(siblingModule(import.meta.url, './scenarios/'))
    .filter((f) => f.endsWith('.scenario.js'))
    .map((f) => f.slice(0, -'.scenario.js'.length))
    .sort();
}

/** Imported only when selected, so one scenario's heavy or broken imports never stop another. */
async function loadScenario(name: string): Promise<Scenario> {
  const file = siblingModule(import.meta.url, `./scenarios/${name}.scenario.js`);
  const mod = (await import(pathToFileURL(file).href)) as { scenario?: Scenario };
  if (!mod.scenario) throw new Error(`${name}.scenario.js does not export 'scenario'`);
  if (mod.scenario.name !== name)
    throw new Error(`${name}.scenario.js exports a scenario named '${mod.scenario.name}'`);
  return mod.scenario;
}

/** The commit measured, and whether the work tree had uncommitted changes; undefined outside git. */
function gitState(): { commit: string; dirty: boolean } | undefined {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: packageRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return {
      commit: git('rev-parse', 'HEAD'),
      dirty: git('status', '--porcelain', '--', 'src', 'package.json') !== '',
    };
  } catch {
    return undefined;
  }
}

/** The 1-minute load average around a scenario: figures measured at load 6 on 2 cores say so beside them. */
function loadLine(load: { before: number[]; after: number[] }): string {
  const one = (l: number[]) => (l[0] ?? 0).toFixed(1);
  return `load average (1 min) ${one(load.before)} before, ${one(load.after)} after, on ${cpus().length} cores`;
}

/** Scenario names and `--name value` / `--name=value` options of the command line. */
function parseArgs(args: string[]): { names: string[]; options: Record<string, string> } {
  const names: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) {
      names.push(arg);
      continue;
    }
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (inline !== undefined) options[key] = inline;
    else if (i + 1 < args.length && !(args[i + 1] as string).startsWith('--')) options[key] = args[++i] as string;
    else options[key] = 'true';
  }
  return { names, options };
}

async function main(): Promise<number> {
  const settings = readSettings();
  const available = scenarioNames();
  const { names: wanted, options } = parseArgs(process.argv.slice(2));
  const unknown = wanted.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
    return 2;
  }
  const selected = wanted.length > 0 ? wanted : available;
  const startedAt = new Date();
  const loadavgAtStart = loadavg();
  const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
  log(
    `settings: ${JSON.stringify({ ...settings, pgAdminUrl: settings.pgAdminUrl.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@') })}`,
  );

  const results: Record<
    string,
    (ScenarioOutcome & { loadavg: { before: number[]; after: number[] } }) | { error: string }
  > = {};
  let failed = false;
  for (const name of selected) {
    try {
      const scenario = await loadScenario(name);
      if (scenario.onlyWhenNamed && wanted.length === 0) {
        log(`scenario ${name}: skipped (runs only when named: npm run bench -- ${name})`);
        continue;
      }
      log(`scenario ${name}: ${scenario.description}`);
      const loadBefore = loadavg();
      const result = await scenario.run({ settings, log: (m) => log(`${name}: ${m}`), options });
      const load = { before: loadBefore, after: loadavg() };
      results[name] = { ...result, loadavg: load };
      console.log(`\n${renderScenario(scenario, result)}\n${loadLine(load)}\n`);
      if (result.measurements.some((m) => m.problems.length > 0)) failed = true;
      const missed = [
        ...result.comparisons.filter((c) => !c.pass).map((c) => `${c.group} ${c.subject}`),
        ...(result.missedTargets ?? []),
      ];
      if (missed.length > 0) {
        failed = true;
        log(`${name}: target missed (${loadLine(load)}): ${missed.join('; ')}`);
      }
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      results[name] = { error: message };
      console.error(`\nscenario ${name} failed: ${message}\n`);
      await runPendingCleanups();
    }
  }

  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadavgAtStart,
      loadavgAtEnd: loadavg(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    git: gitState(),
    settings: { ...settings, pgAdminUrl: undefined },
    options,
    valid: !failed,
    scenarios: results,
  };
  mkdirSync(resultsDir(), { recursive: true });
  const file = join(resultsDir(), 'latest.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`results written to ${file}${failed ? ' — the run is INVALID, a scenario failed or a target was missed' : ''}`);
  return failed ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping servers and dropping throwaway databases…`);
    void runPendingCleanups().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await runPendingCleanups();
    process.exitCode = code;
  },
  async (error: unknown) => {
    console.error(error);
    await runPendingCleanups();
    process.exitCode = 1;
  },
);
