import type { z } from 'zod';
import { ValidationError } from '../core/errors.js';

/** Parses service input with its zod schema; failures become one ValidationError naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
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
