import { describe, expect, it } from 'vitest';
import { DEFAULT_MCP_HOSTS, DEFAULT_MCP_ORIGINS } from '../../src/config/config.schema.js';
import { rebindingCheck } from '../../src/mcp/dns-rebinding.guard.js';

const defaults = rebindingCheck({ allowedHosts: DEFAULT_MCP_HOSTS, allowedOrigins: DEFAULT_MCP_ORIGINS });

describe('MCP DNS-rebinding check', () => {
  it.each([
    ['localhost:8678', undefined],
    ['127.0.0.1:1', undefined],
    ['[::1]:8678', undefined],
    ['localhost', undefined],
    ['LOCALHOST:80', undefined],
    ['127.0.0.1:8678', 'http://localhost:5173'],
    ['127.0.0.1:8678', 'https://127.0.0.1'],
    ['[::1]:9000', 'http://[::1]:3000'],
  ])('lets local host %s with origin %s through', (host, origin) => {
    expect(defaults({ host, origin })).toBeUndefined();
  });

  it.each([
    ['evil.example', undefined, /Host 'evil.example' is not allowed/],
    ['evil.example:8678', undefined, /mcp\.allowedHosts/],
    ['localhost.evil.example', undefined, /not allowed/],
    [undefined, undefined, /Host header is missing/],
    ['evil.example/@localhost', undefined, /malformed/],
    ['localhost:8678', 'http://evil.example', /Origin 'http:\/\/evil.example' is not allowed/],
    ['localhost:8678', 'null', /Origin 'null'/],
    ['localhost:8678', 'file://', /Origin/],
    ['localhost:8678', 'http://localhost.evil.example', /mcp\.allowedOrigins/],
    ['localhost:8678', 'ws://localhost', /Origin/],
  ])('refuses host %s with origin %s', (host, origin, reason) => {
    expect(defaults({ host, origin })).toMatch(reason);
  });

  it('honours ports in entries: host:port and scheme://host:port allow that port only', () => {
    const check = rebindingCheck({
      allowedHosts: ['api.example:443', 'internal'],
      allowedOrigins: ['https://app.example:8443', 'https://docs.example'],
    });
    expect(check({ host: 'api.example', origin: undefined })).toMatch(/not allowed/); // port 80 implied
    expect(check({ host: 'api.example:443', origin: undefined })).toBeUndefined();
    expect(check({ host: 'internal:9999', origin: 'https://docs.example:1234' })).toBeUndefined();
    expect(check({ host: 'internal', origin: 'https://app.example:8443' })).toBeUndefined();
    expect(check({ host: 'internal', origin: 'https://app.example' })).toMatch(/Origin/);
    expect(check({ host: 'internal', origin: 'http://docs.example' })).toMatch(/Origin/);
  });

  it('treats * as allow-all for hosts and for origins separately', () => {
    const anyHost = rebindingCheck({ allowedHosts: ['*'], allowedOrigins: DEFAULT_MCP_ORIGINS });
    expect(anyHost({ host: 'mcp.example.com', origin: undefined })).toBeUndefined();
    expect(anyHost({ host: 'mcp.example.com', origin: 'https://evil.example' })).toMatch(/Origin/);
    const anyOrigin = rebindingCheck({ allowedHosts: DEFAULT_MCP_HOSTS, allowedOrigins: ['*'] });
    expect(anyOrigin({ host: 'localhost', origin: 'https://anything.example' })).toBeUndefined();
    expect(anyOrigin({ host: 'evil.example', origin: undefined })).toMatch(/Host/);
  });
});
