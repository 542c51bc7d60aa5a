import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';

export interface AdminAccessOptions {
  /** `admin.allowRemote`: answer clients that are not on this machine too. */
  allowRemote: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who may use the admin pages, checked before anything else under `/admin`:
 *
 * 1. Unless `allowRemote`, the TCP peer must be a loopback address (127.0.0.0/8, ::1, ::ffff:127.x). The address
 *    comes from the Node.js socket (`getConnInfo`), never from `X-Forwarded-For`. When there is no socket to ask
 *    (the app was called in-process, or the server adapter did not pass its bindings) the client is unknown and
 *    refused: failing closed is the safe default. A reverse proxy on the same host makes every client look local,
 *    so put authentication in front of it before exposing `/admin` that way.
 * 2. Unless `allowRemote`, the Host header must be a loopback name (localhost, *.localhost, 127.x.x.x, [::1]).
 *    A DNS-rebinding page reaches a local server under its own host name; refusing foreign names stops it.
 * 3. Always: a request that changes something (not GET/HEAD/OPTIONS) must carry an Origin, or failing that a
 *    Referer, whose host:port equals the Host header (CSRF protection). Browsers send Origin on every form POST;
 *    clients without either header are refused — the CLI and REST API are the tools for scripts.
 *
 * Refusals are 403 with a one-line reason.
 */
export function adminAccessGuard(options: AdminAccessOptions): MiddlewareHandler {
  return async (c, next) => {
    const refusal = whyRefused(c, options);
    if (refusal) return c.text(`Forbidden: ${refusal}\n`, 403, { 'cache-control': 'no-store' });
    await next();
  };
}

function whyRefused(c: Context, options: AdminAccessOptions): string | undefined {
  const host = c.req.header('host');
  if (!options.allowRemote) {
    const remote = remoteAddress(c);
    if (remote === undefined) {
      return 'the client address is unknown, and admin pages answer loopback clients only (admin.allowRemote)';
    }
    if (!isLoopbackAddress(remote)) {
      return `admin pages answer loopback clients only, not ${remote} (admin.allowRemote)`;
    }
    if (!host || !isLoopbackHost(host)) {
      return `Host '${host ?? ''}' is not a loopback name; open the page as http://localhost:<port> or http://127.0.0.1:<port>`;
    }
  }
  if (!SAFE_METHODS.has(c.req.method)) {
    const source = c.req.header('origin') ?? c.req.header('referer');
    if (!source) return 'a request that changes something needs an Origin or Referer header from this site';
    const from = hostOf(source);
    if (!host || !from || from !== hostOf(`http://${host}`)) {
      return `cross-site request refused (${source.slice(0, 200)} is not ${host ?? 'this host'})`;
    }
  }
  return undefined;
}

/** The TCP peer's address, or undefined when the request did not come through the Node.js server adapter. */
export function remoteAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address ?? undefined;
  } catch {
    return undefined;
  }
}

export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  return a === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** A Host header (`name[:port]`) naming this machine's loopback interface. */
export function isLoopbackHost(host: string): boolean {
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
  );
}

/** `host[:port]` of a URL, lower-case, default ports dropped; undefined for `null` or anything unparsable. */
function hostOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}
