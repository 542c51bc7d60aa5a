import { ValidationError } from './errors.js';

/** Opaque pagination cursors: base64url JSON, validated on the way back in. */
export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string,
  isValid: (value: Record<string, unknown>) => value is T,
): T {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (value !== null && typeof value === 'object' && isValid(value as Record<string, unknown>)) return value as T;
  } catch {
    // fall through to the one error below
  }
  throw new ValidationError('Invalid input: cursor: is not a cursor this server issued', [
    { field: 'cursor', message: 'is not a cursor this server issued' },
  ]);
}

/**
 * A timestamp as this server writes it in cursors (`Date#toISOString`). Stricter than Date.parse, which also
 * takes years like +275760 that the databases refuse: a forged cursor is a 400, never a driver error.
 */
export function isIssuedTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_UTC.test(value)) return false;
  const time = Date.parse(value);
  return !Number.isNaN(time) && new Date(time).toISOString() === value;
}

/** Four-digit years only: both databases refuse the extended years (±YYYYYY) that Date accepts. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
