import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { isSessionBuddyError } from '../../core/errors.js';
import { ADMIN_ROLES } from '../../core/principal.js';
import type { AuthService } from '../../services/auth.service.js';

export interface AdminAccessOptions {
  /** `admin.allowRemote`: answer clients that are not on this machine too. */
  allowRemote: boolean;
  /** When it is enabled, every admin request needs a bearer token with one of ADMIN_ROLES. */
  auth?: AuthService;
}

// Roles (the token's `roles` claim) that may use the admin pages: they show and act on every tenant's jobs.
export { ADMIN_ROLES };

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
 * 3. Whenever auth is on (`auth.enabled`), loopback or not: an `Authorization: Bearer` token whose `roles` claim
 *    names `operator` or `admin` (401 without a valid token, 403 without the role). The pages show every tenant's
 *    dead letters, so a tenant's ordinary token is not enough. A browser does not attach a bearer token by itself,
 *    which also takes rebinding and CSRF pages out of the picture once auth is on. (`admin.allowRemote` without
 *    auth is refused at start-up: see config.schema.ts.)
 * 4. Always: a request that changes something (not GET/HEAD/OPTIONS) must carry an Origin, or failing that a
 *    Referer, whose host:port equals the Host header (CSRF protection). Browsers send Origin on every form POST;
 *    clients without either header are refused — the CLI and REST API are the tools for scripts.
 *
 * Refusals are 403 (401 for a missing or invalid token) with a one-line reason.
 */
export function adminAccessGuard(options: AdminAccessOptions): MiddlewareHandler {
  return async (c, next) => {
    const refusal = whyRefused(c, options) ?? (await whyUnauthorized(c, options.auth));
    if (refusal) {
      const status = typeof refusal === 'string' ? 403 : 401;
      const text = typeof refusal === 'string' ? `Forbidden: ${refusal}` : `Unauthorized: ${refusal.unauthorized}`;
      return c.text(`${text}\n`, status, {
        'cache-control': 'no-store',
        ...(status === 401 ? { 'www-authenticate': 'Bearer realm="session-buddy admin"' } : {}),
      });
    }
    await next();
  };
}

/** With auth on: no valid token → `{unauthorized}` (401); a token without an admin role → a 403 reason. */
async function whyUnauthorized(
  c: Context,
  auth: AuthService | undefined,
): Promise<string | { unauthorized: string } | undefined> {
  if (!auth?.enabled) return undefined;
  let roles: string[];
  try {
    roles = (await auth.authenticate(c.req.header('authorization'))).roles ?? [];
  } catch (error) {
    if (isSessionBuddyError(error) && error.status === 401) return { unauthorized: error.message };
    throw error;
  }
  if (roles.some((role) => ADMIN_ROLES.includes(role))) return undefined;
  return `admin pages need a bearer token with the ${ADMIN_ROLES.join(' or ')} role (its roles claim names ${
    roles.length ? roles.join(', ') : 'none'
  })`;
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
