import { ValidationError } from './errors.js';
import { isStorableTime } from './time-range.js';

/** Opaque pagination cursors: base64url JSON, validated on the way back in. */
export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * What a cursor field may hold. Each kind is checked for type and range before anything reaches a store, so a
 * forged cursor is a 400 in both modes — never a PostgreSQL cast or overflow error (a 500) while SQLite answers 200.
 * - `timestamp`: an ISO instant exactly as `Date#toISOString` writes it, years 0001–9999 (see time-range.ts);
 * - `uuid`: a UUID (the ids this server makes);
 * - `seq`: a message sequence number, 0 to 2^31-1 (PostgreSQL `integer`);
 * - `offset`: a search-page offset, 0 to 100,000.
 */
export type CursorField = 'timestamp' | 'uuid' | 'seq' | 'offset';
export type CursorShape = Record<string, CursorField>;
export type CursorOf<S extends CursorShape> = { [K in keyof S]: S[K] extends 'seq' | 'offset' ? number : string };

const MAX_SEQ = 2 ** 31 - 1;
const MAX_OFFSET = 100_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const FIELD_CHECKS: Record<CursorField, (value: unknown) => boolean> = {
  timestamp: isIssuedTimestamp,
  uuid: (value) => typeof value === 'string' && UUID.test(value),
  seq: (value) => Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_SEQ,
  offset: (value) => Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_OFFSET,
};

/**
 * Decodes a cursor and checks it has exactly the fields of `shape`, each of its kind and in range. (A predicate is
 * still accepted for callers that need a check of their own; it should build on `isIssuedTimestamp`.)
 */
export function decodeCursor<S extends CursorShape>(cursor: string, shape: S): CursorOf<S>;
export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string,
  isValid: (value: Record<string, unknown>) => value is T,
): T;
export function decodeCursor(
  cursor: string,
  check: CursorShape | ((value: Record<string, unknown>) => boolean),
): Record<string, string | number> {
  try {
    if (/^[A-Za-z0-9_-]+$/.test(cursor)) {
      const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const record = value as Record<string, unknown>;
        if (typeof check === 'function' ? check(record) : matchesShape(record, check)) {
          return record as Record<string, string | number>;
        }
      }
    }
  } catch {
    // fall through to the one error below
  }
  throw new ValidationError('Invalid input: cursor: is not a cursor this server issued', [
    { field: 'cursor', message: 'is not a cursor this server issued' },
  ]);
}

function matchesShape(value: Record<string, unknown>, shape: CursorShape): boolean {
  const keys = Object.keys(value);
  if (keys.length !== Object.keys(shape).length) return false;
  return keys.every((key) => Object.hasOwn(shape, key) && FIELD_CHECKS[shape[key] as CursorField](value[key]));
}

/**
 * A timestamp as this server writes it in cursors (`Date#toISOString`), years 0001–9999. Stricter than Date.parse,
 * which also takes year 0 and years like +275760 that PostgreSQL refuses: a forged cursor is a 400, never a driver
 * error.
 */
export function isIssuedTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_UTC.test(value)) return false;
  const time = Date.parse(value);
  return isStorableTime(time) && new Date(time).toISOString() === value;
}

/** Four-digit years only: both databases refuse the extended years (±YYYYYY) that Date accepts. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
