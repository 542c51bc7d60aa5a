import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { registerCleanup } from './cleanup.js';

/**
 * Server processes for benchmarks. The server runs in its own process so that it never shares an
 * event loop (or a CPU's worth of time slices) with the load generator.
 *
 * Parent side: `startServerProcess(modulePath, spec)`. Child side: the module calls
 * `serveForBench(async (spec) => ({ url, close }))`. They talk over the IPC channel:
 *   parent → child  { type: 'start', spec }
 *   child  → parent { type: 'ready', url } | { type: 'failed', error }
 *   parent → child  { type: 'cpu' }           child → parent { type: 'cpu', usage } (process.cpuUsage())
 *   parent → child  { type: 'stop' }          child closes, then exits 0 (so --cpu-prof is written)
 */
export interface ServerProcess {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  /** Asks the child to close and exit; kills it if it has not exited after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** The child's own CPU time so far (user and system, microseconds), as process.cpuUsage() reports it. */
  cpuUsage(): Promise<NodeJS.CpuUsage>;
  /** The last lines the child wrote on stdout/stderr (for error reports). */
  output(): string;
}

export interface StartServerOptions {
  /** For messages. */
  label: string;
  /** Run the child with `--cpu-prof` and write the profile into this folder. */
  cpuProfileDir?: string;
  /** (Default: 30000) */
  readyTimeoutMs?: number;
}

type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'failed'; error: string }
  | { type: 'cpu'; usage: NodeJS.CpuUsage };
type ParentMessage = { type: 'start'; spec: unknown } | { type: 'stop' } | { type: 'cpu' };

export async function startServerProcess(
  modulePath: string,
  spec: unknown,
  options: StartServerOptions,
): Promise<ServerProcess> {
  const execArgv: string[] = [];
  if (options.cpuProfileDir) {
    mkdirSync(options.cpuProfileDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  }
  // execArgv is set explicitly so the child does not inherit the runner's --expose-gc.
  const child = fork(modulePath, [], { execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const tail = outputTail(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const unregister = registerCleanup(kill);
  const cpuWaiters: Array<{ resolve: (usage: NodeJS.CpuUsage) => void; reject: (error: Error) => void }> = [];
  child.once('exit', (code) => {
    for (const waiter of cpuWaiters.splice(0)) waiter.reject(new Error(`${options.label}: exited (code ${code})`));
  });
  const send = (message: ParentMessage) => child.send(message);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.label}: not ready after ${options.readyTimeoutMs ?? 30_000} ms`)),
      options.readyTimeoutMs ?? 30_000,
    );
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'cpu') {
        cpuWaiters.shift()?.resolve(message.usage);
        return;
      }
      clearTimeout(timer);
      if (message.type === 'ready') resolve(message.url);
      else reject(new Error(`${options.label}: failed to start: ${message.error}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${options.label}: exited before ready (code ${code}, signal ${signal})\n${tail()}`));
    });
    send({ type: 'start', spec });
  }).catch(async (error: unknown) => {
    await kill();
    unregister();
    throw error;
  });

  let stopping: Promise<void> | undefined;
  return {
    url,
    pid: child.pid as number,
    output: tail,
    cpuUsage: () =>
      new Promise((resolve, reject) => {
        if (!child.connected) {
          reject(new Error(`${options.label}: not running`));
          return;
        }
        cpuWaiters.push({ resolve, reject });
        send({ type: 'cpu' });
      }),
    stop(timeoutMs = 15_000) {
      stopping ??= (async () => {
        if (child.connected) send({ type: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const code = await exited;
        clearTimeout(timer);
        unregister();
        if (code !== 0) throw new Error(`${options.label}: exited with code ${code} on stop\n${tail()}`);
      })();
      return stopping;
    },
  };
}

/** The last `maxChars` characters a child wrote on stdout and stderr. */
export function outputTail(child: ChildProcess, maxChars = 8000): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-maxChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

export interface RunningBenchServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Child side. Waits for the spec, starts the server with `start`, reports its URL, and on `stop`
 * (or when the parent goes away) closes it and exits.
 */
export function serveForBench<Spec>(start: (spec: Spec) => Promise<RunningBenchServer>): void {
  if (!process.send) throw new Error('serveForBench: run this module with child_process.fork');
  const send = (message: ChildMessage) => process.send?.(message);
  let running: RunningBenchServer | undefined;
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    try {
      await running?.close();
    } catch (error) {
      console.error('close failed:', error);
      code = 1;
    }
    process.exit(code);
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'cpu') {
      send({ type: 'cpu', usage: process.cpuUsage() });
      return;
    }
    if (message.type === 'stop') {
      void exit(0);
      return;
    }
    start(message.spec as Spec).then(
      (server) => {
        running = server;
        send({ type: 'ready', url: server.url });
      },
      (error: unknown) => {
        send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        void exit(1);
      },
    );
  });
  process.on('disconnect', () => void exit(0));
}
