import type { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * Parses service input with its zod schema; failures become one ValidationError naming each field. Text with a
 * NUL character is refused first, whatever the schema: PostgreSQL cannot store it (text or jsonb), and SQLite
 * would, so the two stores would disagree.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
  const nul = findNul(input, prefix ?? '');
  if (nul !== undefined) {
    const field = nul || 'input';
    throw new ValidationError(`Invalid input: ${field}: contains a NUL character (\\u0000)`, [
      { field, message: 'contains a NUL character (\\u0000)' },
    ]);
  }
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw ValidationError.fromZod(result.error, prefix);
  return result.data;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else is a 400 naming the field rather than a driver error. */
export function parseId(value: string, field: string): string {
  if (!UUID.test(value)) {
    throw new ValidationError(`Invalid input: ${field}: must be a UUID`, [{ field, message: 'must be a UUID' }]);
  }
  return value.toLowerCase();
}

/** The path of the first string (value or key) holding U+0000, or undefined. Depth-bounded; input is parsed JSON. */
export function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], at(i), depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return at(key);
    const found = findNul(item, at(key), depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
