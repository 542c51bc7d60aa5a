import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/bundle/main.js', import.meta.url));

export interface RunningCli {
  proc: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Runs the built CLI to completion (for short commands). Auth is off explicitly unless `env` says something about
 * it or `authUndecided` (to see standard mode refuse to start).
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, options: { authUndecided?: boolean } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...cleanEnv(), ...(options.authUndecided ? env : withAuthDecided(env)) },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the built CLI to completion without blocking the test's event loop: for commands that talk to a server the
 * test itself runs (a fake provider), which `runCli` would starve.
 */
export async function runCliAsync(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [CLI, ...args], {
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [status] = (await once(proc, 'close')) as [number | null];
  return { status, stdout, stderr };
}

/** Starts `session-buddy start …` and waits for its "ready" log line to learn the URL. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningCli> {
  return spawnCli(['start', '--port=0', ...args], env, 'Session-Buddy ready');
}

/** Starts `session-buddy worker …` (health/metrics on a free port) and waits until it is ready. */
export function startWorker(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningCli> {
  return spawnCli(['worker', '--port=0', ...args], env, 'Session-Buddy worker ready');
}

/**
 * Standard-mode `start` and `worker` refuse to run unless auth is decided (docs/security.md): tests that say
 * nothing about auth run without it, explicitly.
 */
function withAuthDecided(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const decided = Object.keys(env).some((key) => key.startsWith('SESSION_BUDDY_AUTH_'));
  return decided ? env : { SESSION_BUDDY_AUTH__ENABLED: 'false', ...env };
}

async function spawnCli(args: string[], env: NodeJS.ProcessEnv, readyMessage: string): Promise<RunningCli> {
  const proc = spawn(process.execPath, [CLI, ...args], {
    env: { ...cleanEnv(), ...withAuthDecided(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === readyMessage && entry.url) resolve(entry.url);
        } catch {
          // a partial line; wait for the rest
        }
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.once('exit', (code) => reject(new Error(`CLI exited with ${code} before it was ready:\n${out}`)));
  });
  const exited = once(proc, 'exit').then(([code]) => code as number | null);
  return {
    proc,
    url,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * The test runner's env without any SESSION_BUDDY_* variables, so tests see only what they set; analytics in
 * memory, so parallel test processes never share (and lock) the default DuckDB file `data/analytics.duckdb`.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SESSION_BUDDY_'))),
    SESSION_BUDDY_ANALYTICS__PATH: ':memory:',
  };
}
