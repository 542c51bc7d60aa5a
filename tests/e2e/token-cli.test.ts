import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';

const SECRET = 'token-e2e-secret-token-e2e-secret-0123456789';
// The flat names of the original system's .mcp.json, as aliases of auth.enabled and auth.secret.
const AUTH_ON = { SESSION_BUDDY_AUTH_ENABLED: 'true', SESSION_BUDDY_AUTH_SECRET: SECRET };

describe('session-buddy token and flat env names', () => {
  it('config show reads SESSION_BUDDY_AUTH_ENABLED and SESSION_BUDDY_AUTH_SECRET', () => {
    const shown = runCli(['config', 'show'], AUTH_ON);
    expect(shown.stderr).toBe('');
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^auth\.enabled\s+true\s+env SESSION_BUDDY_AUTH_ENABLED$/m);
    expect(shown.stdout).toMatch(/^auth\.secret\s+\*\*\*\s+env SESSION_BUDDY_AUTH_SECRET$/m);
    expect(shown.stdout).not.toContain(SECRET);
  });

  it('an unknown flat name stops the CLI with one line and exit code 2', () => {
    const bad = runCli(['config', 'show'], { SESSION_BUDDY_AUTH_ENABLE: 'true' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/authEnable \(from env SESSION_BUDDY_AUTH_ENABLE\): unknown key/);
  });

  it('issues a token the API accepts, scoped to its tenant', async () => {
    const issued = runCli(
      ['token', '--subject', 'ops', '--tenant', 'acme', '--ttl', '1h', '--roles', 'admin,operator'],
      {
        ...AUTH_ON,
      },
    );
    expect(issued.stderr).toBe('');
    expect(issued.status).toBe(0);
    const token = issued.stdout.trim();
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: 'ops', tenant: 'acme', roles: ['admin', 'operator'] });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);

    const cli = await startCli(['--mode=lite'], AUTH_ON);
    try {
      const call = (authorization?: string) =>
        fetch(`${cli.url}/v1/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: JSON.stringify({ name: 'issued by the token command' }),
        });
      expect((await call()).status).toBe(401);
      expect((await call('Bearer not.a.token')).status).toBe(401);
      const created = await call(`Bearer ${token}`);
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ tenantId: 'acme' });
    } finally {
      await cli.stop();
    }
  });

  it('refuses in one line, exit code 2, when auth is off or the input is bad', () => {
    const off = runCli(['token', '--subject', 'ops', '--tenant', 'acme']);
    expect(off.status).toBe(2);
    expect(off.stderr.trim().split('\n')).toHaveLength(1);
    expect(off.stderr).toMatch(/auth\.enabled is false/);
    expect(off.stdout).toBe('');

    const noSecret = runCli(['token', '--subject', 'ops', '--tenant', 'acme'], { SESSION_BUDDY_AUTH_ENABLED: 'true' });
    expect(noSecret.status).toBe(2);
    expect(noSecret.stderr).toMatch(/auth\.secret .*required/);

    for (const args of [
      ['--tenant', 'acme'],
      ['--subject', 'ops', '--tenant', 'acme', '--ttl', 'forever'],
      ['--subject', ' ', '--tenant', 'acme'],
      // The tenant id rule (issue 10 finding 5): no tenant a token could not name.
      ['--subject', 'ops', '--tenant', ''],
      ['--subject', 'ops', '--tenant', 'acme corp'],
      ['--subject', 'ops', '--tenant', 'acme\ufffd'],
    ]) {
      const bad = runCli(['token', ...args], AUTH_ON);
      expect(bad.status, args.join(' ')).toBe(2);
      expect(bad.stdout).toBe('');
    }
    const badTenant = runCli(['token', '--subject', 'ops', '--tenant', 'acme/x'], AUTH_ON);
    expect(badTenant.stderr).toMatch(/--tenant.*ASCII letters, digits/);
  });

  it('token create prints a token of one tenant, role, lifetime and project; bad roles are refused', () => {
    const issued = runCli(
      ['token', 'create', '--tenant', 'acme', '--role', 'operator', '--ttl', '30d', '--project', 'alpha'],
      AUTH_ON,
    );
    expect(issued.stderr).toBe('');
    expect(issued.status).toBe(0);
    const claims = decodeJwt(issued.stdout.trim());
    expect(claims).toMatchObject({ tenant: 'acme', roles: ['operator'], project: 'alpha' });
    expect(claims.sub).toMatch(/^token-[0-9a-f]{8}$/);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(30 * 86_400);
    for (const args of [
      ['create', '--tenant', 'acme'],
      ['create', '--tenant', 'acme', '--role', 'superuser'],
      ['create', '--tenant', 'acme', '--role', 'reader', '--ttl', '400d'],
      ['revoke', '--tenant', 'acme', '--role', 'reader'],
    ]) {
      const bad = runCli(['token', ...args], AUTH_ON);
      expect(bad.status, args.join(' ')).toBe(2);
      expect(bad.stdout).toBe('');
    }
  });

  it('standard mode: start and worker refuse to run until auth is decided, in one line', () => {
    for (const command of ['start', 'worker']) {
      const refused = runCli([command, '--mode=standard', '--port=0'], {}, { authUndecided: true });
      expect(refused.status, refused.stderr).toBe(2);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toMatch(/auth\.enabled: standard mode needs authentication/);
    }
  });
});
