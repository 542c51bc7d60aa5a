import { ForbiddenError } from './errors.js';
import type { Principal } from './principal.js';

/**
 * A token with a `project` claim acts in that project only, for every operation whose input takes a `project`
 * (`takesProject`: creating sessions and patterns, searches, lists, analytics, detection): an input without one gets
 * the token's project, an input naming another is refused (403). Records an input addresses by id (RECORD_KEYS)
 * are checked by the operation runner (scopeInput in operations/run-operation.ts; docs/security.md).
 */
export function withinProject<T>(principal: Principal, takesProject: boolean, input: T): T {
  const project = principal.project;
  if (project === undefined || !takesProject || typeof input !== 'object' || input === null) return input;
  const record = input as Record<string, unknown>;
  if (record.project === undefined) return { ...record, project } as T;
  if (record.project !== project) {
    throw new ForbiddenError(`project: this token may act in project '${project}' only`);
  }
  return input;
}

/** Kinds of record an input key addresses by id, each with a project (the lookup: operations/run-operation.ts). */
export type RecordKind = 'session' | 'reflection' | 'pattern';

/**
 * Input keys that address a record by id in every operation that takes them. With a `project` claim, the runner
 * looks each one up and answers 404 — the same NotFoundError a missing record gets — for a record of another
 * project, and for a missing one, so the answer never tells which ids exist elsewhere (docs/security.md).
 * `workflowId` and dead-letter ids are tenant-wide on purpose (workflows span projects; dead letters are operators').
 */
export const RECORD_KEYS: Readonly<Record<string, RecordKind>> = {
  sessionId: 'session',
  parentSessionId: 'session',
  reflectionId: 'reflection',
  patternId: 'pattern',
};
