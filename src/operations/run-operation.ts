import { NotFoundError } from '../core/errors.js';
import { withLogContext } from '../core/log-context.js';
import { RECORD_KEYS, type RecordKind, withinProject } from '../core/project-scope.js';
import { assertMayUse } from '../core/roles.js';
import { parseInput } from '../core/validate.js';
import { withSpan } from '../tracing/spans.js';
import type { Operation, OperationContext } from './operation.js';

/** The operation of this name; a name the catalogue lacks is a programming error. */
export function findOperation(operations: readonly Operation[], name: string): Operation {
  const op = operations.find((o) => o.name === name);
  if (!op) throw new Error(`operation catalogue: no operation '${name}'`);
  return op;
}

/**
 * The one gate every front door (REST, MCP over HTTP and stdio, the CLI) passes before an operation parses its
 * input or runs: the caller's roles must open the operation's `scope` (403 / MCP isError naming the role needed),
 * then the call takes a token from the caller's rate-limit bucket (429 with Retry-After).
 */
export async function admit(op: Operation, context: OperationContext): Promise<void> {
  assertMayUse(context.principal, op.scope, op.name);
  await context.services.rateLimits.take(context.principal);
}

/**
 * The parsed input narrowed to the caller's project, when its token has a `project` claim (core/project-scope.ts):
 * a `project` is filled in or checked, and every record the input addresses by id (RECORD_KEYS) must be of that
 * project: missing or elsewhere, the answer is the same 404.
 */
export async function scopeInput<T>(op: Operation, context: OperationContext, input: T): Promise<T> {
  const scoped = withinProject(context.principal, 'project' in op.input.shape, input);
  const project = context.principal.project;
  if (project === undefined || typeof scoped !== 'object' || scoped === null) return scoped;
  for (const [key, kind] of Object.entries(RECORD_KEYS)) {
    const id = (scoped as Record<string, unknown>)[key];
    if (typeof id !== 'string') continue;
    const owner = await projectOf(context, kind, id);
    // A tenant-wide pattern (no project) applies to every project: readable, not changeable by a project token.
    if (owner === project || (owner === null && op.annotations.readOnlyHint)) continue;
    throw new NotFoundError(kind, id);
  }
  return scoped;
}

/** The project of the record, null for a tenant-wide one, undefined when the caller's tenant has no such record. */
async function projectOf(context: OperationContext, kind: RecordKind, id: string): Promise<string | null | undefined> {
  const { services, principal } = context;
  try {
    if (kind === 'session') return (await services.sessions.get(principal, id)).project;
    if (kind === 'reflection') return (await services.reflections.get(principal, id)).project;
    return (await services.patterns.get(principal, id)).project;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
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

/** Admits the call, parses `raw` with the operation's schema, then runs it: what a REST or MCP call does, for the CLI. */
export async function runOperation<T = unknown>(
  operations: readonly Operation[],
  name: string,
  context: OperationContext,
  raw: unknown,
): Promise<T> {
  const op = findOperation(operations, name);
  await admit(op, context);
  return (await op.run(context, await scopeInput(op, context, parseInput(op.input, raw)))) as T;
}

/**
 * The operation run in its own span, named by the operation, child of the request's (REST, MCP over HTTP) or a root
 * (MCP stdio, CLI), with the caller's tenant and the session it names on the log lines written meanwhile. Every front
 * door runs operations through the catalogue, so every run is traced once.
 */
export function tracedOperation(op: Operation): Operation {
  return {
    ...op,
    run(context, input) {
      const tenant = context.principal.tenantId;
      const sessionId = typeof input.sessionId === 'string' ? input.sessionId : undefined;
      return withLogContext({ tenant, sessionId }, () =>
        withSpan(op.name, { attributes: { 'session_buddy.operation': op.name, 'session_buddy.tenant': tenant } }, () =>
          op.run(context, input),
        ),
      );
    },
  };
}
