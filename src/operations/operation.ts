import type { Context } from 'hono';
import type { z } from 'zod';
import type { Principal } from '../core/principal.js';
import type { Scope } from '../core/roles.js';
import type { Services } from '../services/services.js';

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** MCP tool annotations; every operation also has `openWorldHint: false`. */
export interface OperationAnnotations {
  /** The operation only reads. */
  readOnlyHint: boolean;
  /** The operation may remove or overwrite data (meaningful when not read-only). */
  destructiveHint: boolean;
  /** Calling again with the same arguments has no further effect. */
  idempotentHint: boolean;
}

export type { Scope } from '../core/roles.js';

export interface OperationContext {
  principal: Principal;
  services: Services;
}

/** A file an operation answers with, streamed as it is produced. */
export interface Download {
  contentType: string;
  /** Suggested file name (Content-Disposition). */
  fileName: string;
  stream: ReadableStream<Uint8Array>;
}

export interface RestResponseDoc {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

/** How an operation is served over REST. Its input is the path parameters plus the body or the query string. */
export interface RestBinding<I = unknown, O = unknown> {
  method: HttpMethod;
  /** Hono path, e.g. `/v1/sessions/:id/messages`. */
  path: string;
  operationId: string;
  tag: string;
  /** Path parameters and the input key each fills, e.g. `{ id: 'sessionId' }`. */
  params?: Record<string, string>;
  /** Where the rest of the input comes from. (Default: the body for POST, PATCH and PUT; the query otherwise) */
  from?: 'body' | 'query';
  /** Content types also accepted as the raw body (besides JSON); the text fills this input key. */
  textBody?: { types: string[]; key: string };
  /** Status of a success answered as JSON. (Default: 200) */
  status?: number;
  /** Responses for the OpenAPI document. (Default: `status` with the operation's output schema) */
  responses?: Record<number, RestResponseDoc>;
  /** Answers in a way of its own (headers, another status) instead of `c.json(result, status)`. */
  respond?(c: Context, result: O, input: I): Response | Promise<Response>;
}

/** How an operation is offered as an MCP tool. */
export interface McpBinding {
  /**
   * Argument names of the original system where they differ from ours beyond snake_case, e.g. `{ q: 'query' }`.
   * Our own name (and its camelCase) stays accepted on input.
   */
  rename?: Record<string, string>;
}

/**
 * One operation of the service, declared once: REST routes (and OpenAPI), MCP tools and the CLI are made from
 * it. Input is parsed once, at the edge, with `input`; `run` receives the parsed, typed value.
 */
export interface Operation<I extends z.ZodObject = z.ZodObject, O extends z.ZodType = z.ZodType> {
  /** snake_case, the MCP tool name (`add_message`). */
  name: string;
  title: string;
  description: string;
  /** The input in our own (camelCase) names; MCP derives its snake_case names from it. */
  input: I;
  output: O;
  annotations: OperationAnnotations;
  /** What the caller must be allowed to do; the roles that open it: core/roles.ts (enforced in `admit`). */
  scope: Scope;
  rest?: RestBinding<z.output<I>, z.output<O>>;
  /** (Default: offered as a tool with snake_case names) `false`: not a tool. */
  mcp?: McpBinding | false;
  // Method syntax on purpose: it lets one list hold operations of different schemas (bivariant parameters).
  run(context: OperationContext, input: z.output<I>): Promise<z.output<O>>;
  /**
   * Answers with a file instead of `run`'s result where the caller can take one (the REST body, the CLI's stdout),
   * when it returns one; undefined leaves the answer to `run` (MCP always uses `run`).
   */
  download?(context: OperationContext, input: z.output<I>): Promise<Download | undefined>;
  /** One line for people and models; MCP follows it with the structured result as JSON. */
  summary(result: z.output<O>): string;
  /** The whole text of an MCP answer instead of summary + JSON (e.g. an exported document). */
  document?(result: z.output<O>): string;
}

/** Keeps an operation's schemas and handler types tied together where it is declared. */
export function defineOperation<I extends z.ZodObject, O extends z.ZodType>(op: Operation<I, O>): Operation<I, O> {
  return op;
}

export const READ: OperationAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };
export const CREATE: OperationAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false };
export const UPDATE: OperationAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true };
export const DELETE: OperationAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true };

/** ` ; more with the returned cursor` when a page has a successor. */
export function moreNote(page: { nextCursor: string | null }): string {
  return page.nextCursor ? '; more with the returned next cursor' : '';
}
