import type { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * How deeply any input value may nest (objects and arrays), counted from the input object itself: metadata at
 * `{"metadata": {...}}` starts at level 2. Deeper input is refused before any schema, store or serialiser recurses.
 */
export const MAX_INPUT_DEPTH = 64;
/**
 * Raw request bodies are refused past this depth before they are parsed. Looser than MAX_INPUT_DEPTH, so input that is
 * merely too deep gets the 400 naming its field; only absurd bodies (thousands of levels) stop here.
 */
export const MAX_BODY_DEPTH = 4 * MAX_INPUT_DEPTH;

/** One problem with the text or shape of an input, and where: `metadata.a.b`, `content`, `idempotencyKey`. */
export interface InputProblem {
  /** Dotted path of the field (keys and array indexes); '' for the input itself. */
  path: string[];
  message: string;
}

const NUL_MESSAGE = 'contains a NUL character (\\u0000)';
const SURROGATE_MESSAGE = 'contains a lone UTF-16 surrogate (not valid Unicode text)';
const DEPTH_MESSAGE = `is nested deeper than ${MAX_INPUT_DEPTH} levels`;

/**
 * Parses service input with its zod schema; failures become one ValidationError naming each field. The text rule
 * applies first, whatever the schema (see `findBadInput`).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
  assertCleanInput(input, prefix ? [prefix] : []);
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw ValidationError.fromZod(result.error, prefix);
  return result.data;
}

/** Throws the 400 for the first problem `findBadInput` reports; `name` renders a path as the caller spells it. */
export function assertCleanInput(
  input: unknown,
  base: string[] = [],
  name: (path: string[]) => string = (path) => path.join('.'),
): void {
  const problem = findBadInput(input, base);
  if (!problem) return;
  const field = problem.path.length ? name(problem.path) : 'input';
  throw new ValidationError(`Invalid input: ${field}: ${problem.message}`, [{ field, message: problem.message }]);
}

/**
 * The one rule for text and shape, for every string (value or key) at any depth of any input:
 * - no NUL (U+0000): PostgreSQL cannot store it in text or jsonb while SQLite would, so the stores would disagree;
 * - no lone UTF-16 surrogate (U+D800–U+DFFF unpaired): PostgreSQL would refuse it (jsonb) or silently store U+FFFD
 *   (text), merging distinct values, and SQLite would store invalid UTF-8. Refused, never replaced;
 * - nesting at most MAX_INPUT_DEPTH levels.
 * Iterative, so hostile depth cannot overflow the stack. Input is parsed JSON (or query strings).
 */
export function findBadInput(input: unknown, base: string[] = []): InputProblem | undefined {
  const stack: Array<{ value: unknown; path: string[]; depth: number }> = [{ value: input, path: base, depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string[]; depth: number };
    if (typeof value === 'string') {
      const message = textProblem(value);
      if (message) return { path, message };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) return { path, message: DEPTH_MESSAGE };
    const entries: Array<[string, unknown]> = Array.isArray(value)
      ? value.map((item, i) => [String(i), item])
      : Object.entries(value);
    // Pushed in reverse so the first problem in document order is the one reported.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i] as [string, unknown];
      const at = [...path, key];
      if (!Array.isArray(value)) {
        const message = textProblem(key);
        if (message) return { path: at, message: `key ${message}` };
      }
      stack.push({ value: item, path: at, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Why this text breaks the rule, or undefined. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(text)) return SURROGATE_MESSAGE;
  return undefined;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Nesting depth of a raw JSON text, counted without parsing (brackets outside strings), stopping at `limit + 1`.
 * Lets a front door refuse a hostile body before JSON.parse and what follows it recurse.
 */
export function jsonDepthExceeds(text: string, limit = MAX_BODY_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** The 400 for a body nested deeper than MAX_BODY_DEPTH. */
export function tooDeepBodyError(): ValidationError {
  const message = `is nested deeper than ${MAX_BODY_DEPTH} levels`;
  return new ValidationError(`Invalid input: body: ${message}`, [{ field: 'body', message }]);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else is a 400 naming the field rather than a driver error. */
export function parseId(value: string, field: string): string {
  if (!UUID.test(value)) {
    throw new ValidationError(`Invalid input: ${field}: must be a UUID`, [{ field, message: 'must be a UUID' }]);
  }
  return value.toLowerCase();
}

/**
 * The dotted path of the first string (value or key) that breaks the text rule, or of a too-deep value; undefined
 * when the input is clean. Kept for callers written before `findBadInput`.
 */
export function findNul(value: unknown, path: string): string | undefined {
  return findBadInput(value, path ? path.split('.') : [])?.path.join('.');
}
