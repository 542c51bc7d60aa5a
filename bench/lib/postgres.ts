import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { PostgresStore } from '../../src/repositories/postgres/postgres.store.js';
import { registerCleanup } from './cleanup.js';

export interface ThrowawayDatabase {
  name: string;
  /** The admin URL with the database replaced by this one. */
  url: string;
  /** DROP DATABASE … WITH (FORCE); safe to call twice. */
  drop(): Promise<void>;
}

/**
 * Creates an empty database `<prefix>_<random>` on the server of `adminUrl` (which must name a
 * database the role can connect to, e.g. postgres). It is dropped by `drop()`, or on Ctrl-C.
 */
export async function createThrowawayDatabase(adminUrl: string, prefix = 'sb_bench'): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (sql) => sql`CREATE DATABASE ${sql(name)}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  const drop = () => {
    dropped ??= withAdmin(adminUrl, (sql) => sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`).then(() => {
      unregister();
    });
    return dropped;
  };
  const unregister = registerCleanup(drop);
  return { name, url: url.toString(), drop };
}

/**
 * A throwaway database with Session-Buddy's migrations applied (dropped again if they fail). `who` names the
 * scenario in the error when PostgreSQL cannot be reached.
 */
export async function createMigratedDatabase(
  adminUrl: string,
  who: string,
): Promise<ThrowawayDatabase & { migrations: string[] }> {
  const database = await createThrowawayDatabase(adminUrl).catch((error: unknown) => {
    throw new Error(
      `${who} needs PostgreSQL (${redactUrl(adminUrl)}): ${(error as Error).message}. ` +
        'Start it with infra/scripts/ensure-services.sh, or run only lite mode with BENCH_MODES=lite.',
    );
  });
  try {
    const store = new PostgresStore({ url: database.url, applicationName: 'sb-bench-migrate' });
    try {
      return { ...database, migrations: await store.migrate() };
    } finally {
      await store.close();
    }
  } catch (error) {
    await database.drop();
    throw error;
  }
}

async function withAdmin(adminUrl: string, fn: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await fn(sql);
  } catch (error) {
    throw new Error(`PostgreSQL at ${redactUrl(adminUrl)}: ${(error as Error).message}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
