import { hostname, networkInterfaces } from 'node:os';
import type { MiddlewareHandler } from 'hono';
import { SessionBuddyError } from '../core/errors.js';
import { isLoopbackHost } from './admin/access.js';

export interface HostAllowlist {
  /** Host names answered besides the built-in ones: `host` (any port), `host:port`, or `*` (any host). */
  allowedHosts: readonly string[];
  /** Browser origins accepted besides same-origin ones: `scheme://host` (any port), `scheme://host:port`, or `*`. */
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

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * Host names every process answers to without configuration: the loopback names (always safe: a rebinding page
 * reaches us under its own name, never under `localhost`), the address the listener is bound to when it is a
 * specific one, the machine's host name and interface addresses when it is a wildcard (the host name is what
 * `analytics.advertiseUrl` defaults to, so other processes reach the analytics owner; an address is what
 * Kubernetes probes and Prometheus service discovery put in Host), and the host of `analytics.advertiseUrl` when
 * set. An address literal is never a rebinding vector: a page reaching us by our address is served from it.
 */
export function builtInHosts(listenHost: string, advertiseUrl?: string): string[] {
  const hosts: string[] = [];
  if (WILDCARD_ADDRESSES.has(listenHost)) hosts.push(hostname(), ...interfaceAddresses());
  else if (!isLoopbackHost(bracket(listenHost))) hosts.push(bracket(listenHost));
  if (advertiseUrl) {
    try {
      hosts.push(new URL(advertiseUrl).host);
    } catch {
      // The config schema already refused a malformed URL.
    }
  }
  return hosts.filter((h) => h.length > 0);
}

/**
 * The DNS-rebinding and cross-site check of every route: returns why a request must be refused, or undefined.
 *
 * - Host: a loopback name (localhost, *.localhost, 127.x.x.x, [::1]) on any port, or an `allowedHosts` entry.
 *   A DNS-rebinding page runs under a name its author controls and reaches us under that name as the Host header,
 *   so a foreign name is refused.
 * - Origin, when a browser sends one: the same origin as the Host header (the page came from this server), a
 *   loopback origin on the same port, or an `allowedOrigins` entry. Other local web apps (another port) are
 *   refused. Non-browser clients send no Origin and pass.
 */
export function hostOriginCheck(allow: HostAllowlist): (request: RequestAuthority) => string | undefined {
  const anyHost = allow.allowedHosts.includes('*');
  const anyOrigin = allow.allowedOrigins.includes('*');
  const hosts = compile(allow.allowedHosts.filter((e) => e !== '*').map((entry) => `http://${entry}`));
  const origins = compile(allow.allowedOrigins.filter((e) => e !== '*'));

  return ({ host, origin }) => {
    const actualHost = host ? parseActual(`http://${host}`) : undefined;
    if (!actualHost) return `Host header ${host ? `'${clip(host)}' is malformed` : 'is missing'}`;
    if (!anyHost && !isLoopbackHost(host as string) && !hosts.some((entry) => matches(entry, actualHost))) {
      return `Host '${clip(host as string)}' is not allowed (server.allowedHosts)`;
    }
    if (origin === undefined || anyOrigin) return undefined;
    const actual = parseActual(origin);
    if (actual && (actual.scheme === 'http:' || actual.scheme === 'https:')) {
      // The Host header carries no scheme: its port, if absent, is the default of the Origin's scheme.
      const hostPort = explicitPort(host as string) ?? actual.port;
      const sameAuthority = actual.hostname === actualHost.hostname && actual.port === hostPort;
      const loopbackSamePort = isLoopbackHost(actual.hostname) && actual.port === hostPort;
      if (sameAuthority || loopbackSamePort || origins.some((entry) => matches(entry, actual))) return undefined;
    }
    return `Origin '${clip(origin)}' is not allowed (server.allowedOrigins)`;
  };
}

/** Hono middleware: refuses with 403 problem+json before anything else runs. */
export function hostOriginGuard(allow: HostAllowlist): MiddlewareHandler {
  const check = hostOriginCheck(allow);
  return async (c, next) => {
    // In-process calls (`app.request('/path')`) carry no Host header: their URL's authority stands in for it.
    const host = c.req.header('host') ?? hostOfUrl(c.req.url);
    const violation = check({ host, origin: c.req.header('origin') });
    if (violation) throw new SessionBuddyError('forbidden', 403, violation);
    await next();
  };
}

/** This machine's interface addresses, IPv6 in brackets as a Host header spells them. */
function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((i) => (i.family === 'IPv6' ? `[${i.address.split('%')[0]}]` : i.address)),
  );
}

function hostOfUrl(url: string): string | undefined {
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
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

function explicitPort(host: string): string | undefined {
  const port = /:(\d+)$/.exec(host)?.[1];
  return port === undefined ? undefined : String(Number(port));
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

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Header values are echoed in the refusal; long ones are cut. */
function clip(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}…` : value;
}
