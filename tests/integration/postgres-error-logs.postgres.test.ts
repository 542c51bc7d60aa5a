import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeError } from '../../src/core/log-errors.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const USER_CONTENT = 'user-secret-Zq7';

/** Issue 10 finding 9: PostgreSQL error logs must not include user content (detail, parameters, quoted values). */
describe('PostgreSQL errors in logs', () => {
  let db: TestDatabase;
  let sql: postgres.Sql;

  beforeAll(async () => {
    db = await createTestDatabase('pglogs');
    // debug: true makes postgres.js attach the query and its parameters to errors as enumerable fields.
    sql = postgres(db.url, { max: 1, onnotice: () => {}, debug: true });
    await sql`CREATE TABLE t (name text CONSTRAINT t_name_key UNIQUE)`;
  });
  afterAll(async () => {
    await sql?.end();
    await db?.drop();
  });

  const failure = async (run: () => Promise<unknown>): Promise<Error> => {
    const error = await run().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  };

  it('keeps the code and constraint of a unique violation, not the value in its detail', async () => {
    await sql`INSERT INTO t (name) VALUES (${USER_CONTENT})`;
    const error = await failure(() => sql`INSERT INTO t (name) VALUES (${USER_CONTENT})`);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).toContain(USER_CONTENT); // the raw error has it
    const logged = JSON.stringify(serializeError(error));
    expect(logged).not.toContain(USER_CONTENT);
    expect(serializeError(error)).toMatchObject({
      type: 'PostgresError',
      code: '23505',
      constraint_name: 't_name_key',
    });
  });

  it('redacts the quoted value of a cast error, also as the cause of another error', async () => {
    const error = await failure(() => sql`SELECT ${USER_CONTENT}::uuid`);
    expect(error.message).toContain(USER_CONTENT);
    const direct = serializeError(error) as { code: string; message: string };
    expect(direct.code).toBe('22P02');
    expect(direct.message).toMatch(/invalid input syntax for type uuid: "…"/);
    const wrapped = new Error('store failed', { cause: error });
    expect(JSON.stringify(serializeError(wrapped))).not.toContain(USER_CONTENT);
  });
});
