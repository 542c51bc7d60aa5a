import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './redis-server.js';
import { waitFor } from './wait.js';

const INSTALL_HINT = "install it with infra/scripts/ensure-services.sh (Debian's prometheus package)";

/** Runs promtool (Debian's prometheus package) to completion. */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { encoding: 'utf8', input, timeout: 60_000 });
  if (result.error) throw new Error(`cannot run promtool (${result.error.message}): ${INSTALL_HINT}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * prom-client's default metrics that promtool's linter flags (gauges named `_total`); they are the library's names,
 * not ours, so they are the only findings allowed.
 */
const PROM_CLIENT_LINT = new Set([
  'session_buddy_nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'session_buddy_nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'session_buddy_nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
]);

/** `promtool check metrics` findings on a /metrics body, but for prom-client's own default metric names. */
export function metricLintFindings(scrapeText: string): { findings: string[]; output: string } {
  const { output } = promtool(['check', 'metrics'], scrapeText);
  const findings = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !PROM_CLIENT_LINT.has(line));
  return { findings, output };
}

export interface ScrapeJob {
  name: string;
  /** `host:port` of each target. */
  targets: string[];
}

export interface RunningPrometheus {
  url: string;
  /** Instant query; the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Active alerts (pending or firing). */
  alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real Prometheus server (Debian's `prometheus` binary) on a free loopback port, with a generated config: the
 * given scrape jobs, every second, and the given rule files evaluated every second; storage in a temp directory
 * removed on stop.
 */
export async function startPrometheus(options: { jobs: ScrapeJob[]; ruleFiles: string[] }): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: options.ruleFiles,
      scrape_configs: options.jobs.map((job) => ({
        job_name: job.name,
        static_configs: [{ targets: job.targets }],
      })),
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  const proc: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const failedToSpawn = once(proc, 'error').then(([error]) => {
    throw new Error(`cannot run prometheus (${(error as Error).message}): ${INSTALL_HINT}`);
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      failedToSpawn,
      waitFor(
        `prometheus on ${url}`,
        async () => {
          if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}:\n${out}`);
          return (await fetch(`${url}/-/ready`)).ok;
        },
        60_000,
      ),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }

  const api = async <T>(path: string): Promise<T> => {
    const body = (await (await fetch(`${url}${path}`)).json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    query: async (expr) =>
      (
        await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
          `/api/v1/query?query=${encodeURIComponent(expr)}`,
        )
      ).result,
    alerts: async () =>
      (await api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('/api/v1/alerts')).alerts,
    output: () => out,
    stop,
  };
}
