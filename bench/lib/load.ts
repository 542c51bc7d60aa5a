import { fork } from 'node:child_process';
import { registerCleanup } from './cleanup.js';
import { siblingModule } from './paths.js';

/** One HTTP request, sent again and again by one connection. */
export interface RequestTemplate {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, e.g. `/v1/sessions/<id>/messages`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadJob {
  /** Base URL of the server. */
  url: string;
  /**
   * One template per connection (its length is the number of connections). Each connection is a
   * keep-alive socket sending its template sequentially: a new request as soon as the answer arrives.
   */
  requests: RequestTemplate[];
  durationS: number;
  /** Per-request timeout. (Default: 10) */
  timeoutS?: number;
}

export interface LoadRunResult {
  /** Measured wall time of the run. */
  durationS: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors (refused, reset, …). */
  errors: number;
  timeouts: number;
  /** Count per HTTP status. */
  statusCodes: Record<string, number>;
  /** First few error messages and unexpected statuses, for the report. */
  samples: string[];
  /** Latency of every 2xx response in milliseconds, in arrival order. */
  latenciesMs: Float64Array;
}

/**
 * Runs the load generator (autocannon) in its own process against `job.url` for `job.durationS`
 * seconds. The generator's process never runs server code. Use one call for the warm-up and another
 * for the measurement.
 */
export async function runLoad(job: LoadJob): Promise<LoadRunResult> {
  const child = fork(siblingModule(import.meta.url, './load-worker.js'), [], {
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const unregister = registerCleanup(async () => {
    child.kill('SIGKILL');
  });
  try {
    return await new Promise<LoadRunResult>((resolve, reject) => {
      child.once('message', (message: { ok: true; result: LoadRunResult } | { ok: false; error: string }) => {
        if (message.ok) resolve(message.result);
        else reject(new Error(`load generator failed: ${message.error}`));
      });
      child.once('exit', (code) => reject(new Error(`load generator exited early (code ${code})`)));
      child.send(job);
    });
  } finally {
    if (child.exitCode === null) child.kill();
    unregister();
  }
}
