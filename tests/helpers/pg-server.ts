import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort } from './redis-server.js';
import { waitFor } from './wait.js';

const BIN = process.env.SB_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  /** URL of the `postgres` database (trust auth, user `postgres`). */
  adminUrl: string;
  port: number;
  /** `pg_ctl stop -m <mode>`: `immediate` is a crash-like stop (backends killed, no checkpoint). */
  stop(mode?: 'immediate' | 'fast'): void;
  /** Starts the stopped cluster again on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): void;
}

/**
 * A throwaway PostgreSQL cluster of this test's own (initdb + pg_ctl in a temp folder, a free port), so a test can
 * stop it for real without touching the shared server. PostgreSQL refuses to run as root: as root the binaries run
 * as the `postgres` user.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sb-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, uid('postgres'), gid('postgres'));
  const run = (bin: string, args: string[]) => {
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(BIN, bin), ...args]]
      : [join(BIN, bin), args];
    // No pipes: the server that `pg_ctl start` leaves running would hold them open and block this call.
    execFileSync(cmd, argv, { stdio: 'ignore', timeout: 60_000 });
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const start = async () => {
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
    await waitFor(`PostgreSQL on ${port}`, async () => {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 2 });
      try {
        await sql`SELECT 1`;
        return true;
      } finally {
        await sql.end({ timeout: 1 });
      }
    });
  };
  const stop = (mode: 'immediate' | 'fast' = 'immediate') => {
    try {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
    } catch {
      // already stopped
    }
  };
  await start();
  return {
    adminUrl,
    port,
    stop,
    start,
    destroy() {
      stop('immediate');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}
