import { parseInput } from '../core/validate.js';
import type { Operation, OperationContext } from './operation.js';

/** The operation of this name; a name the catalogue lacks is a programming error. */
export function findOperation(operations: readonly Operation[], name: string): Operation {
  const op = operations.find((o) => o.name === name);
  if (!op) throw new Error(`operation catalogue: no operation '${name}'`);
  return op;
}

/**
 * Raw input (CLI flags, a form) parsed with the operation's own schema, as REST and MCP parse it; a refusal is a
 * ValidationError naming the field. `T` is the caller's statement of the operation's parsed input type.
 */
export function parseOperationInput<T = Record<string, unknown>>(
  operations: readonly Operation[],
  name: string,
  raw: unknown,
): T {
  return parseInput(findOperation(operations, name).input, raw) as T;
}

/** Parses `raw` with the operation's schema, then runs it: what a REST or MCP call does, for the CLI. */
export async function runOperation<T = unknown>(
  operations: readonly Operation[],
  name: string,
  context: OperationContext,
  raw: unknown,
): Promise<T> {
  const op = findOperation(operations, name);
  return (await op.run(context, parseInput(op.input, raw))) as T;
}
