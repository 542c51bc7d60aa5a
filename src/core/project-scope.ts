import { ForbiddenError } from './errors.js';
import type { Principal } from './principal.js';

/**
 * A token with a `project` claim acts in that project only, for every operation whose input takes a `project`
 * (`takesProject`: creating sessions and patterns, searches, lists, analytics, detection): an input without one gets
 * the token's project, an input naming another is refused (403). Operations that address a record by id (a session,
 * a message) are not narrowed further: the tenant stays the isolation boundary (docs/security.md).
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
