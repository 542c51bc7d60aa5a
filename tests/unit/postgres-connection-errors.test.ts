import { describe, expect, it } from 'vitest';
import { UnavailableError, ValidationError } from '../../src/core/errors.js';
import {
  classifyingRepository,
  classifyStoreError,
  isConnectionError,
} from '../../src/repositories/postgres/connection-errors.js';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('PostgreSQL connection errors', () => {
  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ['ECONNRESET', 'read ECONNRESET'],
    ['CONNECTION_CLOSED', 'write CONNECTION_CLOSED 127.0.0.1:5432'],
    ['CONNECTION_ENDED', 'write CONNECTION_ENDED 127.0.0.1:5432'],
    ['CONNECT_TIMEOUT', 'write CONNECT_TIMEOUT 127.0.0.1:5432'],
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is starting up'],
    ['08006', 'connection failure'],
    ['53300', 'sorry, too many clients already'],
    ['57014', 'canceling statement due to statement timeout'],
  ])('%s is a connection error', (code, message) => {
    expect(isConnectionError(withCode(code, message))).toBe(true);
    const mapped = classifyStoreError(withCode(code, message), 7);
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect(mapped).toMatchObject({ status: 503, code: 'unavailable', retryAfterSeconds: 7 });
    expect((mapped as Error).message).not.toContain('127.0.0.1');
    expect((mapped as Error).cause).toBeInstanceOf(Error);
  });

  it('"Connection terminated" without a code is one too', () => {
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it.each([
    ['23505', 'duplicate key value violates unique constraint'],
    ['42P01', 'relation "x" does not exist'],
    ['57014', 'canceling statement due to user request'],
  ])('%s keeps its meaning', (code, message) => {
    const error = withCode(code, message);
    expect(isConnectionError(error)).toBe(false);
    expect(classifyStoreError(error, 5)).toBe(error);
  });

  it('a wrapped repository maps rejections once and leaves everything else alone', async () => {
    class Repo {
      private readonly prefix = 'row';
      async find(id: string): Promise<string> {
        return `${this.prefix} ${id}`;
      }
      async down(): Promise<never> {
        throw withCode('ECONNREFUSED');
      }
      async invalid(): Promise<never> {
        throw new ValidationError('bad');
      }
      sync(): number {
        return 42;
      }
    }
    const repo = classifyingRepository(new Repo(), 5);
    expect(await repo.find('1')).toBe('row 1');
    expect(repo.sync()).toBe(42);
    await expect(repo.down()).rejects.toMatchObject({ code: 'unavailable', retryAfterSeconds: 5 });
    await expect(repo.invalid()).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('the driver write-after-close guard', () => {
  it("recognises only postgres 3.4.9's nextWrite TypeError", async () => {
    const { isDriverWriteAfterClose } = await import('../../workers/driver-guard.js');
    const crash = new TypeError("Cannot read properties of null (reading 'write')");
    crash.stack = `TypeError: ${crash.message}\n    at Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)`;
    expect(isDriverWriteAfterClose(crash)).toBe(true);
    const ours = new TypeError("Cannot read properties of null (reading 'write')");
    expect(isDriverWriteAfterClose(ours)).toBe(false);
    expect(isDriverWriteAfterClose(new Error('boom'))).toBe(false);
  });
});
