import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { registerCleanup } from './cleanup.js';
import { packageRoot } from './paths.js';
import { outputTail } from './server-process.js';

/**
 * The built CLI (`dist/bundle/main.js`, what `npm run bench` builds) as a server process: `session-buddy start` or
 * `session-buddy worker`, on a free port, configured only by `env` (the shell's SESSION_BUDDY_* variables are left
 * out). Killed on Ctrl-C like every bench child.
 */
export interface CliProcess {
  /** API base URL, or the worker's health/metrics listener. */
  url: string;
  pid: number;
  /** SIGTERM (a graceful stop), SIGKILL after `timeoutMs`; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** The last lines the process wrote (for error reports). */
  output(): string;
}

const READY = { start: 'Session-Buddy ready', worker: 'Session-Buddy worker ready' } as const;

export async function startCliProcess(
  command: keyof typeof READY,
  env: Record<string, string>,
  label: string,
): Promise<CliProcess> {
  const main = join(packageRoot(), 'dist', 'bundle', 'main.js');
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SESSION_BUDDY_')));
  const child = spawn(process.execPath, [main, command, '--port=0'], {
    env: { ...base, SESSION_BUDDY_ANALYTICS__PATH: ':memory:', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const unregister = registerCleanup(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  const tail = outputTail(child);
  const url = await new Promise<string>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => reject(new Error(`${label}: not ready after 60 s\n${tail()}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes(READY[command])) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === READY[command] && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label}: exited with ${code} before it was ready\n${tail()}`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    unregister();
    throw error;
  });
  return {
    url,
    pid: child.pid as number,
    output: tail,
    async stop(timeoutMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      unregister();
      return code;
    },
  };
}
