import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../src/services/auth.service.js';
import { testConfig } from '../helpers/config.js';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const SECRET = 'auth-tokens-secret-auth-tokens-secret-0123';
const key = new TextEncoder().encode(SECRET);
const bearer = (token: string) => `Bearer ${token}`;
const authWith = (auth: Record<string, unknown>) =>
  new AuthService(testConfig({ auth: { enabled: true, secret: SECRET, ...auth } }).auth);

function hs(claims: Record<string, unknown>, alg = 'HS256') {
  return new SignJWT({ tenant: 'acme', ...claims }).setProtectedHeader({ alg }).setSubject('probe').setIssuedAt();
}

/** An unsigned token (`alg: none`), which jose never signs itself. */
function unsigned(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

async function refusal(auth: AuthService, token: string): Promise<string> {
  const error = await auth.authenticate(bearer(token)).then(
    () => undefined,
    (e: Error & { status?: number }) => e,
  );
  expect(error, 'the token was accepted').toBeDefined();
  expect((error as { status: number }).status).toBe(401);
  return (error as Error).message;
}

describe('the token matrix (issue 10 finding 9, tokens)', () => {
  it('refuses a token without exp, an expired one, alg none and a wrong algorithm', async () => {
    const auth = authWith({});
    expect(await refusal(auth, await hs({}).sign(key))).toMatch(/"exp" claim/);
    expect(
      await refusal(
        auth,
        await hs({})
          .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
          .sign(key),
      ),
    ).toMatch(/exp/);
    expect(await refusal(auth, unsigned({ tenant: 'acme', exp: Math.floor(Date.now() / 1000) + 600 }))).toMatch(
      /alg|Invalid/,
    );
    // HS512 with the right secret, while auth.algorithm is HS256.
    expect(await refusal(auth, await hs({}, 'HS512').setExpirationTime('5m').sign(key))).toMatch(/alg/);
    // An RS256 token when no JWKS is configured.
    const { privateKey } = await generateKeyPair('RS256');
    const rs = await new SignJWT({ tenant: 'acme' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('5m');
    expect(await refusal(auth, await rs.sign(privateKey))).toMatch(/alg/);
    const good = await auth.authenticate(bearer(await hs({}).setExpirationTime('5m').sign(key)));
    expect(good).toMatchObject({ tenantId: 'acme', roles: ['writer'] });
  });

  it('checks iss and aud when configured, and token create writes them', async () => {
    const auth = authWith({ issuer: 'https://sb.example', audience: 'session-buddy' });
    const none = await hs({}).setExpirationTime('5m').sign(key);
    expect(await refusal(auth, none)).toMatch(/iss/);
    const wrongIss = await hs({}).setExpirationTime('5m').setIssuer('https://evil').setAudience('session-buddy');
    expect(await refusal(auth, await wrongIss.sign(key))).toMatch(/iss/);
    const wrongAud = await hs({}).setExpirationTime('5m').setIssuer('https://sb.example').setAudience('other');
    expect(await refusal(auth, await wrongAud.sign(key))).toMatch(/aud/);
    const issued = await auth.issue('ops', 'acme', { roles: ['operator'] });
    expect(await auth.authenticate(bearer(issued))).toMatchObject({ tenantId: 'acme', roles: ['operator'] });
  });

  describe('tokens signed elsewhere, verified with a JWKS', () => {
    let dir: string;
    let server: Server;
    let jwksUrl: string;
    let rsa: PrivateKey;
    let ec: PrivateKey;
    let stranger: PrivateKey;
    let served = 0;

    beforeAll(async () => {
      const rsaPair = await generateKeyPair('RS256');
      const ecPair = await generateKeyPair('ES256');
      stranger = (await generateKeyPair('RS256')).privateKey;
      rsa = rsaPair.privateKey;
      ec = ecPair.privateKey;
      const keys: JWK[] = [
        { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
      ];
      dir = mkdtempSync(join(tmpdir(), 'sb-jwks-'));
      writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys }));
      server = createServer((_req, res) => {
        served += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    });
    afterAll(() => {
      server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const signed = (
      alg: 'RS256' | 'ES256',
      kid: string,
      privateKey: PrivateKey,
      claims: Record<string, unknown> = {},
    ) =>
      new SignJWT({ tenant: 'acme', roles: ['reader'], ...claims })
        .setProtectedHeader({ alg, kid })
        .setSubject('idp-user')
        .setExpirationTime('5m')
        .sign(privateKey);

    for (const source of ['file', 'url'] as const) {
      it(`accepts RS256 and ES256 tokens of the keys in a JWKS ${source}, refuses others`, async () => {
        const auth = new AuthService(
          testConfig({
            auth: source === 'file' ? { enabled: true, jwksFile: join(dir, 'jwks.json') } : { enabled: true, jwksUrl },
          }).auth,
        );
        expect(await auth.authenticate(bearer(await signed('RS256', 'rsa-1', rsa)))).toMatchObject({
          tenantId: 'acme',
          subject: 'idp-user',
          roles: ['reader'],
        });
        expect(await auth.authenticate(bearer(await signed('ES256', 'ec-1', ec)))).toMatchObject({ tenantId: 'acme' });
        await refusal(auth, await signed('RS256', 'rsa-1', stranger));
        await refusal(auth, await signed('RS256', 'unknown-kid', stranger));
        // No secret configured: an HMAC token cannot be verified at all.
        await refusal(auth, await hs({}).setExpirationTime('5m').sign(key));
        // A JWKS token still needs exp.
        const noExp = await new SignJWT({ tenant: 'acme' })
          .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
          .sign(rsa);
        expect(await refusal(auth, noExp)).toMatch(/"exp" claim/);
        if (source === 'url') expect(served).toBeGreaterThan(0);
      });
    }

    it('refuses at start-up a JWKS file that is not one', () => {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{"not":"a set"}');
      expect(() => new AuthService(testConfig({ auth: { enabled: true, jwksFile: bad } }).auth)).toThrow(
        /auth\.jwksFile: .* is not a JWKS/,
      );
    });
  });
});
