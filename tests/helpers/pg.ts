import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/** The server the integration tests use; each test file gets its own database on it. */
export const PG_ADMIN_URL = process.env.SB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.SB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates a fresh, empty database; `drop()` removes it even with connections still open. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `sb_${label}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const sql = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.end();
      }
    },
  };
}

export function randomPrefix(label = 'test'): string {
  return `sbtest:${label}:${randomBytes(4).toString('hex')}`;
}
