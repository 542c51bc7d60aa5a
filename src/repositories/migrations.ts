import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  /** File name, e.g. `0001_sessions_messages.sql`; recorded in the migrations table. */
  name: string;
  sql: string;
}

/** Numbered `.sql` files of one dialect, in order. */
export function readMigrations(dialect: 'postgres' | 'sqlite'): Migration[] {
  const dir = fileURLToPath(new URL(`./${dialect}/migrations/`, import.meta.url));
  return readdirSync(dir)
    .filter((name) => /^\d{4}_[\w-]+\.sql$/.test(name))
    .sort()
    .map((name) => ({ name, sql: readFileSync(`${dir}${name}`, 'utf8') }));
}
