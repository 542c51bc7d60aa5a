import type { MiddlewareHandler } from 'hono';
import { SessionBuddyError } from '../core/errors.js';

export interface RebindingAllowlist {
  /** `host` (any port), `host:port`, or `*`. */
  allowedHosts: readonly string[];
  /** `scheme://host` (any port), `scheme://host:port`, or `*`. */
  allowedOrigins: readonly string[];
}

export interface RequestAuthority {
  host: string | undefined;
  origin: string | undefined;
}

interface Endpoint {
  scheme: string;
  hostname: string;
  /** Empty in an allowlist entry that allows any port. */
  port: string;
}

/**
 * Builds the check for `/mcp`: returns why a request must be refused, or undefined when it may pass.
 * A DNS-rebinding page runs in a browser under a foreign origin and reaches us under a foreign Host
 * name; checking both stops it, while non-browser clients (no Origin header) on an allowed host pass.
 */
export function rebindingCheck(allow: RebindingAllowlist): (request: RequestAuthority) => string | undefined {
  const anyHost = allow.allowedHosts.includes('*');
  const anyOrigin = allow.allowedOrigins.includes('*');
  const hosts = compile(allow.allowedHosts.map((entry) => `http://${entry}`));
  const origins = compile(allow.allowedOrigins);

  return ({ host, origin }) => {
    if (!anyHost) {
      const actual = host ? parseActual(`http://${host}`) : undefined;
      if (!actual) return `Host header ${host ? `'${host}' is malformed` : 'is missing'}`;
      if (!hosts.some((entry) => matches(entry, actual))) {
        return `Host '${host}' is not allowed for /mcp (mcp.allowedHosts)`;
      }
    }
    if (origin === undefined || anyOrigin) return undefined;
    const actual = parseActual(origin);
    if (!actual || !origins.some((entry) => matches(entry, actual))) {
      return `Origin '${origin}' is not allowed for /mcp (mcp.allowedOrigins)`;
    }
    return undefined;
  };
}

/** Hono middleware: refuses with 403 problem+json before anything else on the route runs. */
export function dnsRebindingGuard(allow: RebindingAllowlist): MiddlewareHandler {
  const check = rebindingCheck(allow);
  return async (c, next) => {
    const violation = check({ host: c.req.header('host'), origin: c.req.header('origin') });
    if (violation) throw new SessionBuddyError('forbidden', 403, violation);
    await next();
  };
}

function compile(entries: readonly string[]): Endpoint[] {
  return entries.flatMap((entry) => {
    const parsed = parseUrl(entry);
    if (!parsed) return [];
    // URL drops a default port (":80"), so read the port the entry spelled out, if any.
    const explicit = /:(\d+)$/.exec(entry)?.[1];
    return [{ scheme: parsed.protocol, hostname: parsed.hostname, port: explicit ? String(Number(explicit)) : '' }];
  });
}

function parseActual(value: string): Endpoint | undefined {
  const url = parseUrl(value);
  if (!url) return undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '');
  return { scheme: url.protocol, hostname: url.hostname, port };
}

/** A bare origin or host: no path, query or credentials (so `evil.example/@localhost` never passes). */
function parseUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    const bare = !url.username && !url.password && !url.search && !url.hash && url.pathname === '/';
    return bare && !value.endsWith('?') && !value.endsWith('#') ? url : undefined;
  } catch {
    return undefined;
  }
}

function matches(entry: Endpoint, actual: Endpoint): boolean {
  return (
    entry.scheme === actual.scheme && entry.hostname === actual.hostname && (!entry.port || entry.port === actual.port)
  );
}
