/** Roles a token may carry in its `roles` claim; any other name grants nothing (the matrix: core/roles.ts). */
export const ROLES = ['reader', 'writer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: every query is scoped to the principal's tenant. */
export interface Principal {
  tenantId: string;
  /** Subject of the bearer token, when auth is on. */
  subject?: string;
  /**
   * The caller's roles (see core/roles.ts). Always set when auth is on (from the token's `roles` claim, else
   * `auth.defaultRole`); absent for in-process callers with every role (auth off, MCP stdio, the CLI).
   */
  roles?: Role[];
  /** The token's `project` claim: the caller may act in this project only (see core/project-scope.ts). */
  project?: string;
}
