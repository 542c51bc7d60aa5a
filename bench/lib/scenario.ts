/**
 * The contract between bench/run.ts and a scenario.
 *
 * To add a scenario, create `bench/scenarios/<name>.scenario.ts` and export `scenario: Scenario`.
 * bench/run.ts finds every `*.scenario.js` file under dist/bench/scenarios, runs all of them (or
 * those named on the command line: `npm run bench -- add-message`), prints each result as a table
 * and writes them all to bench/results/latest.json.
 *
 * Most HTTP scenarios only need `compareHttpTargets` from ./http-compare.js: describe a baseline
 * and a subject as `HttpTarget`s (how to start the server process, which request each connection
 * sends) and it runs the rounds, checks every response and computes the ratio.
 */
export interface Scenario {
  /** kebab-case, equal to the file name before `.scenario.ts`; what you type on the command line. */
  name: string;
  /** One line: what is measured against what. */
  description: string;
  /** Runs only when named on the command line (long runs such as `soak`); a bare `npm run bench` skips it. */
  onlyWhenNamed?: boolean;
  /**
   * Runs every measurement of the scenario. It must release what it started (child processes,
   * databases) before it returns or throws; the helpers in bench/lib do so, and also register
   * themselves with ./cleanup.js so that Ctrl-C cleans up too.
   */
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}

export interface ScenarioContext {
  settings: BenchSettings;
  /** Progress line on stderr (the table goes to stdout). */
  log(message: string): void;
  /** `--name value` or `--name=value` arguments of the command line, e.g. `npm run bench -- soak --minutes 10`. */
  options: Record<string, string>;
}

/** Read once from the environment by bench/run.ts; every scenario gets the same. */
export interface BenchSettings {
  /** Measured seconds per target per round. BENCH_DURATION_S (Default: 10) */
  durationS: number;
  /** Unmeasured warm-up seconds before each measurement. BENCH_WARMUP_S (Default: 2) */
  warmupS: number;
  /** Concurrent keep-alive connections of the load generator. BENCH_CONNECTIONS (Default: 32) */
  connections: number;
  /**
   * Rounds per comparison; each round starts fresh server processes and alternates which target
   * goes first, so drift on a noisy machine hits both sides alike. BENCH_ROUNDS (Default: 3)
   */
  rounds: number;
  /** Which storage modes to run. BENCH_MODES, comma-separated (Default: lite,standard) */
  modes: Array<'lite' | 'standard'>;
  /** Server used to create and drop throwaway databases. BENCH_PG_ADMIN_URL (Default: postgres://postgres@127.0.0.1:5432/postgres) */
  pgAdminUrl: string;
  /** BENCH_REDIS_URL (Default: redis://127.0.0.1:6379) */
  redisUrl: string;
  /**
   * Extra Session-Buddy config for the servers under test, merged over each scenario's own
   * overrides: for experiments, e.g. BENCH_SB_CONFIG='{"embedding":{"provider":"hash"}}'. The
   * default (none) measures Session-Buddy as shipped. BENCH_SB_CONFIG, a JSON object.
   */
  sessionBuddyConfig: Record<string, unknown>;
  /**
   * When set, every server child runs with `--cpu-prof` and writes its profile into a folder
   * under this one. BENCH_CPU_PROF=1 puts them in bench/results/profiles.
   */
  cpuProfileDir: string | undefined;
}

/** One row of the table: one target, all rounds pooled. */
export interface Measurement {
  /** Rows with the same group are compared with each other (e.g. the storage mode). */
  group: string;
  /** e.g. `baseline`, `session-buddy`. */
  target: string;
  /** 2xx responses inside the measured windows. */
  requests: number;
  /** Measured seconds, all rounds. */
  durationS: number;
  /** requests / durationS */
  rps: number;
  /** Latency of 2xx responses, as seen by the load generator, in milliseconds. */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /**
   * CPU time (user + system) of the server's Node.js process per 2xx response during the measured
   * runs, in microseconds. Far less sensitive to a noisy machine than req/s; it does not include
   * other processes the server talks to (PostgreSQL backends).
   */
  serverCpuUsPerRequest: number;
  /** Responses with a status outside 200–299 (warm-up included). */
  non2xx: number;
  /** Connection errors and timeouts (warm-up included). */
  errors: number;
  /** Per round, in order. */
  rounds: Array<{ rps: number; p50: number; p99: number; serverCpuUsPerRequest: number }>;
  /** Why this row cannot be trusted; empty when it can. A run with any problem is invalid. */
  problems: string[];
}

/** subject throughput / baseline throughput within one group. */
export interface Comparison {
  group: string;
  subject: string;
  baseline: string;
  ratio: number;
  /** Per round, from the same round's pair of measurements. */
  roundRatios: number[];
  /**
   * baseline / subject server CPU per request: the throughput ratio to expect when the server's
   * own CPU is the bottleneck. A cross-check of `ratio` that noise from other processes barely moves.
   */
  cpuRatio: number;
  /** The smallest acceptable ratio. */
  target: number;
  pass: boolean;
}

export interface ScenarioResult {
  measurements: Measurement[];
  comparisons: Comparison[];
  /** Free-form lines printed under the table and stored in the JSON. */
  notes?: string[];
}

/** What a scenario returns: its result, and the targets that are not ratios (a p95 in ms) it missed. */
export interface ScenarioOutcome extends ScenarioResult {
  /** One line per missed target, load average included; any makes the run exit 1. */
  missedTargets?: string[];
}

/** The comparison of two measurements of one group: throughput ratio overall and per round, and the CPU cross-check. */
export function compareMeasurements(
  group: string,
  baseline: Measurement,
  subject: Measurement,
  target: number,
): Comparison {
  const ratio = subject.rps / baseline.rps;
  return {
    group,
    subject: subject.target,
    baseline: baseline.target,
    ratio,
    roundRatios: subject.rounds.map((r, i) => r.rps / (baseline.rounds[i]?.rps ?? Number.NaN)),
    cpuRatio: baseline.serverCpuUsPerRequest / subject.serverCpuUsPerRequest,
    target,
    pass: ratio >= target,
  };
}
