import type { Context } from 'hono';
import type { z } from 'zod';
import type { Principal } from '../core/principal.js';

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON body; undefined for methods without one, and when the body came as `text`. */
  body: unknown;
  /** The raw body, when the route takes text (RouteDef.textBody) and the request sent one of its types. */
  text?: string;
  principal: Principal;
}

/**
 * One REST operation: how it is served and how it is documented, from the same object, so the
 * OpenAPI document cannot drift from the routes.
 */
export interface RouteDef {
  method: HttpMethod;
  /** Hono path, e.g. `/v1/sessions/:id`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Content types also accepted besides JSON, passed raw as `input.text` (e.g. application/x-ndjson). */
  textBody?: string[];
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler: (c: Context, input: RouteInput) => Promise<Response>;
}
