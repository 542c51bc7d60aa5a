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
