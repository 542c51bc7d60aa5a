/**
 * The tenant id rule, for token claims, `--tenant` flags and `auth.defaultTenant`: 1 to 128 ASCII characters,
 * letters, digits and `. _ - @ :`, starting with a letter or digit. Anything else is refused (a token → 401), never
 * mapped to the default tenant nor normalised: two different claims are never one tenant.
 */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/;

export const TENANT_ID_RULE =
  'must be 1 to 128 characters: ASCII letters, digits and . _ - @ :, starting with a letter or digit';

export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID_PATTERN.test(value);
}
