import type { Context } from 'hono';
import { SessionBuddyError } from '../core/errors.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * Issue 10: a request without a body skipped the content-type check, so any web page could make a visitor's
 * browser POST `/v1/patterns/detect` (a form, or `fetch` in `no-cors` mode, sends a "simple" request, which
 * needs no CORS preflight). A state-changing request (POST, PUT, PATCH, DELETE) sent by a browser — it carries
 * an `Origin` header, or a `Sec-Fetch-Site` header other than `none` — must declare
 * `Content-Type: application/json` (or a text type the route takes), with or without a body: a browser only
 * sends that type cross-site after a CORS preflight, which this server never grants. Clients that are not
 * browsers (CLI, curl, SDKs) send neither header and are unaffected; their JSON bodies are checked as before.
 */
export function assertNotSimpleBrowserRequest(c: Context, textTypes: readonly string[] = []): void {
  if (!STATE_CHANGING.has(c.req.method)) return;
  const fetchSite = c.req.header('sec-fetch-site');
  if (c.req.header('origin') === undefined && (fetchSite === undefined || fetchSite === 'none')) return;
  const type = c.req.header('content-type');
  const mediaType = type?.split(';')[0]?.trim().toLowerCase();
  if (type && (JSON_TYPE.test(type) || (mediaType !== undefined && textTypes.includes(mediaType)))) return;
  throw new SessionBuddyError(
    'unsupported_media_type',
    415,
    `A ${c.req.method} from a browser must declare Content-Type: application/json, even without a body ` +
      `(got ${type ? `'${type}'` : 'none'})`,
  );
}
