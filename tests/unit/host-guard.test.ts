import { hostname, networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { builtInHosts, hostOriginCheck } from '../../src/http/host-guard.js';

const defaults = hostOriginCheck({ allowedHosts: builtInHosts('127.0.0.1'), allowedOrigins: [] });

describe('Host/Origin allowlist (every route)', () => {
  it.each([
    ['localhost:8678', undefined],
    ['127.0.0.1:1', undefined],
    ['127.1.2.3:8678', undefined],
    ['[::1]:8678', undefined],
    ['localhost', undefined],
    ['LOCALHOST:80', undefined],
    ['app.localhost:8678', undefined],
    // Same origin as the Host header, and loopback pages on the same port.
    ['127.0.0.1:8678', 'http://127.0.0.1:8678'],
    ['127.0.0.1:8678', 'http://localhost:8678'],
    ['localhost', 'http://localhost'],
    ['localhost:443', 'https://localhost'],
    ['[::1]:9000', 'http://[::1]:9000'],
  ])('lets local host %s with origin %s through', (host, origin) => {
    expect(defaults({ host, origin })).toBeUndefined();
  });

  it.each([
    ['evil.example', undefined, /Host 'evil.example' is not allowed/],
    ['attacker.example:8725', undefined, /server\.allowedHosts/],
    ['localhost.evil.example', undefined, /not allowed/],
    ['127.0.0.1.evil.example', undefined, /not allowed/],
    [undefined, undefined, /Host header is missing/],
    ['evil.example/@localhost', undefined, /malformed/],
    ['localhost:8678', 'http://evil.example', /Origin 'http:\/\/evil.example' is not allowed/],
    ['localhost:8678', 'http://attacker.example:8678', /server\.allowedOrigins/],
    ['localhost:8678', 'null', /Origin 'null'/],
    ['localhost:8678', 'file://', /Origin/],
    ['localhost:8678', 'http://localhost.evil.example', /server\.allowedOrigins/],
    // Another local web app (another port) may not drive this server from a browser.
    ['localhost:8678', 'http://localhost:3000', /Origin 'http:\/\/localhost:3000'/],
    ['localhost:8678', 'ws://localhost:8678', /Origin/],
  ])('refuses host %s with origin %s', (host, origin, reason) => {
    expect(defaults({ host, origin })).toMatch(reason);
  });

  it('honours ports in entries: host:port and scheme://host:port allow that port only', () => {
    const check = hostOriginCheck({
      allowedHosts: ['api.example:443', 'internal'],
      allowedOrigins: ['https://app.example:8443', 'https://docs.example'],
    });
    expect(check({ host: 'api.example', origin: undefined })).toMatch(/not allowed/); // port 80 implied
    expect(check({ host: 'api.example:443', origin: undefined })).toBeUndefined();
    expect(check({ host: 'api.example:443', origin: 'https://api.example' })).toBeUndefined(); // same origin
    expect(check({ host: 'internal:9999', origin: 'https://docs.example:1234' })).toBeUndefined();
    expect(check({ host: 'internal', origin: 'https://app.example:8443' })).toBeUndefined();
    expect(check({ host: 'internal', origin: 'https://app.example' })).toMatch(/Origin/);
    expect(check({ host: 'internal', origin: 'http://docs.example' })).toMatch(/Origin/);
  });

  it('treats * as allow-all for hosts and for origins separately', () => {
    const anyHost = hostOriginCheck({ allowedHosts: ['*'], allowedOrigins: [] });
    expect(anyHost({ host: 'mcp.example.com', origin: undefined })).toBeUndefined();
    expect(anyHost({ host: 'mcp.example.com', origin: 'https://evil.example' })).toMatch(/Origin/);
    const anyOrigin = hostOriginCheck({ allowedHosts: [], allowedOrigins: ['*'] });
    expect(anyOrigin({ host: 'localhost', origin: 'https://anything.example' })).toBeUndefined();
    expect(anyOrigin({ host: 'evil.example', origin: undefined })).toMatch(/Host/);
  });

  it('adds the listen address, or the host name for a wildcard, and the advertised URL to the built-in hosts', () => {
    expect(builtInHosts('127.0.0.1')).toEqual([]);
    expect(builtInHosts('10.1.2.3')).toEqual(['10.1.2.3']);
    expect(builtInHosts('fd00::5')).toEqual(['[fd00::5]']);
    const addresses = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i?.family === 'IPv4')
      .map((i) => i?.address);
    expect(builtInHosts('0.0.0.0')).toEqual(expect.arrayContaining([hostname(), ...addresses]));
    const wildcard = builtInHosts('::', 'http://worker-1.internal:8679/');
    expect(wildcard[0]).toBe(hostname());
    expect(wildcard.at(-1)).toBe('worker-1.internal:8679');
    // A probe or scraper that uses the machine's address passes; a name it does not own does not.
    const check = hostOriginCheck({ allowedHosts: builtInHosts('0.0.0.0'), allowedOrigins: [] });
    for (const address of addresses) expect(check({ host: `${address}:8678`, origin: undefined })).toBeUndefined();
    expect(check({ host: 'attacker.example:8678', origin: undefined })).toMatch(/not allowed/);
  });
});

describe('start-up warning on a wildcard address', () => {
  it('names server.allowedHosts when bound to 0.0.0.0 with no names listed, and only then', async () => {
    const { exposureWarning } = await import('../../workers/api.process.js');
    const { testConfig } = await import('../helpers/config.js');
    expect(exposureWarning(testConfig({ server: { host: '0.0.0.0' } }))).toMatch(/server\.allowedHosts/);
    expect(exposureWarning(testConfig({ server: { host: '0.0.0.0', allowedHosts: ['sb.example'] } }))).toBeUndefined();
    expect(exposureWarning(testConfig({ server: { host: '127.0.0.1' } }))).toBeUndefined();
  });
});
