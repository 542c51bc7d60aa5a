/** Who is calling: every query is scoped to the principal's tenant. */
export interface Principal {
  tenantId: string;
  /** Subject of the bearer token, when auth is on. */
  subject?: string;
  /** The token's `roles` claim (names), when auth is on. */
  roles?: string[];
}
