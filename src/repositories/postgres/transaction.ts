import { isConnectionError } from './connection-errors.js';
import type { Sql } from './sql.js';

/**
 * Runs `fn` in a transaction on one reserved connection: COMMIT when it resolves, ROLLBACK when it throws.
 *
 * Why not `sql.begin`: postgres 3.4.9 answers a lost connection inside `begin` by writing ROLLBACK to the dead
 * socket, which throws from a `setImmediate` (`socket.write` of null) and kills the process (upstream issues
 * porsager/postgres#1154, #1208). Here nothing more is written to a connection that failed with a connection error
 * (the server rolls the transaction back itself when the session ends), and it is not handed back to the pool;
 * the pool has already marked it closed and reconnects it on demand.
 */
export async function transaction<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  const tx = await sql.reserve();
  let lost = false;
  try {
    await tx`BEGIN`;
    const result = await fn(tx);
    const done = await tx`COMMIT`;
    // COMMIT of a transaction a failed statement aborted rolls back instead (as `sql.begin` would, refuse it).
    if (done.command === 'ROLLBACK') throw new Error('transaction aborted by an earlier error; rolled back');
    return result;
  } catch (error) {
    if (isConnectionError(error)) {
      lost = true;
    } else {
      await tx`ROLLBACK`.catch((rollbackError: unknown) => {
        lost = isConnectionError(rollbackError);
      });
    }
    throw error;
  } finally {
    if (!lost) tx.release();
  }
}
