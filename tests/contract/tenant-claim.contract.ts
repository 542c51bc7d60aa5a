import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { expectNoLeak, frontDoors, type Json } from '../helpers/front-doors.js';

export const TENANT_TEST_SECRET = 'tenant-claim-secret-tenant-claim-secret-0';

async function tokenWith(claims: Json): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('probe')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(TENANT_TEST_SECRET));
}

/**
 * Issue 10 finding 5: the `tenant` claim is a non-empty string matching the tenant id rule, else 401 naming the claim
 * — never the default tenant, never normalised (on PostgreSQL `acme\ud800` and `acme\udc00` were one tenant). The
 * application must run with auth on and TENANT_TEST_SECRET.
 */
export function describeTenantClaim(name: string, open: () => Promise<{ app: Application; cleanup(): Promise<void> }>) {
  describe(`tenant claim: ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    let token: string | undefined;
    let doors: ReturnType<typeof frontDoors>;

    beforeAll(async () => {
      ({ app, cleanup } = await open());
      doors = frontDoors(app, () => token);
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    const bad: Array<[string, unknown]> = [
      ['a number', 123],
      ['an array', ['a']],
      ['an object', { id: 'a' }],
      ['null', null],
      ['empty', ''],
      ['blank', '  '],
      ['a NUL', 'acme\u0000'],
      ['a lone high surrogate', 'acme\ud800'],
      ['a lone low surrogate', 'acme\udc00'],
      ['U+FFFD', 'acme\ufffd'],
      ['a space', 'ac me'],
      ['a slash', 'acme/x'],
      ['129 characters', 'a'.repeat(129)],
    ];
    for (const [label, tenant] of bad) {
      it(`refuses a tenant claim that is ${label} with 401 on REST and MCP`, async () => {
        token = await tokenWith({ tenant });
        const rest = await doors.rest('GET', '/v1/sessions');
        expect(rest.status, rest.text).toBe(401);
        expect(rest.json).toMatchObject({ code: 'unauthorized' });
        expect(String(rest.json.detail)).toContain("'tenant' claim");
        expectNoLeak(rest.text);
        const write = await doors.rest('POST', '/v1/sessions', { name: 'x' });
        expect(write.status).toBe(401);
        const mcp = await doors.mcp('list_sessions', {});
        expect(mcp.status, mcp.text).toBe(401);
        expectNoLeak(mcp.text);
      });
    }

    it('keeps tenants that differ only in a surrogate or U+FFFD apart: none of them is a tenant at all', async () => {
      token = await tokenWith({ tenant: 'acme' });
      const created = await doors.rest('POST', '/v1/sessions', { name: 'acme secret' });
      expect(created.status, created.text).toBe(201);
      expect(created.json.tenantId).toBe('acme');
      for (const lookalike of ['acme\ud800', 'acme\udc00', 'acme\ufffd']) {
        token = await tokenWith({ tenant: lookalike });
        expect((await doors.rest('GET', `/v1/sessions/${created.json.id}`)).status).toBe(401);
      }
      token = await tokenWith({ tenant: 'globex' });
      expect((await doors.rest('GET', `/v1/sessions/${created.json.id}`)).status).toBe(404);
    });

    it('takes a claim of the documented charset, and a token without the claim is the default tenant', async () => {
      token = await tokenWith({ tenant: 'Team-1.acme_x@corp:eu' });
      const created = await doors.rest('POST', '/v1/sessions', { name: 'ok' });
      expect(created.status, created.text).toBe(201);
      expect(created.json.tenantId).toBe('Team-1.acme_x@corp:eu');
      token = await tokenWith({});
      const mine = await doors.rest('POST', '/v1/sessions', { name: 'default' });
      expect(mine.json.tenantId).toBe('default');
      const mcp = await doors.mcp('list_sessions', {});
      expect(mcp.result?.isError, mcp.text).toBeFalsy();
    });

    it('refuses to sign a token for a tenant outside the rule', async () => {
      await expect(app.services.auth.issue('ops', 'acme\ud800')).rejects.toThrow(/tenant/);
      await expect(app.services.auth.issue('ops', '')).rejects.toThrow(/tenant/);
      await expect(app.services.auth.issue('ops', 'acme')).resolves.toMatch(/^ey/);
    });
  });
}
