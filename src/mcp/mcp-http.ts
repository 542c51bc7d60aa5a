import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Hono } from 'hono';
import type { Config } from '../config/config.schema.js';
import type { Logger } from '../core/logger.js';
import { jsonDepthExceeds, tooDeepBodyError } from '../core/validate.js';
import { fastBodyLimit } from '../http/body-limit.js';
import type { AppEnv } from '../http/http-app.js';
import { logTenant } from '../http/request-context.js';
import type { Services } from '../services/services.js';
import { budgetError, serveWithinBudget } from './mcp-batch.js';
import { plainToolCall } from './mcp-plain-call.js';
import { createMcpServer, type McpServerInfo } from './mcp-server.js';
import { callTool, type McpTool, principalAuthInfo } from './mcp-tools.js';

export const MCP_PATH = '/mcp';

/** A body that is not JSON: the transport reads and refuses it itself. */
const UNPARSED = Symbol('unparsed');

export interface McpHttpDeps {
  services: Services;
  tools: ReadonlyMap<string, McpTool>;
  info: McpServerInfo;
  logger: Logger;
  mcp: Config['mcp'];
  bodyLimitBytes: number;
}

/**
 * Streamable HTTP at `/mcp`, stateless: every POST gets its own transport (and an idle server from a
 * pool), no `Mcp-Session-Id` is issued, and answers are plain JSON. API replicas share nothing, so any replica
 * can answer any request. Without sessions there is no stream to resume and nothing to end, so GET
 * (server-to-client stream) and DELETE (end session) answer 405, as the transport spec allows.
 */
export function mountMcpHttp(app: Hono<AppEnv>, deps: McpHttpDeps): void {
  app.use(MCP_PATH, fastBodyLimit(deps.bodyLimitBytes));

  const context = { services: deps.services, logger: deps.logger };
  const pool = new ServerPool(() => createMcpServer(deps.tools, deps.info, context));
  app.post(MCP_PATH, async (c) => {
    // Same bearer-token rule as REST; a refusal is a 401 problem+json from the app's error handler.
    const authorization = c.req.header('authorization');
    const principal = await deps.services.auth.authenticate(authorization);
    logTenant(principal.tenantId);
    const authInfo = principalAuthInfo(principal, authorization?.replace(/^Bearer\s+/i, '') ?? '');
    const [request, parsedBody] = await readJsonBody(c.req.raw);
    // JSON-RPC 2.0: an empty batch is one Invalid Request error (the SDK would answer 202, as for notifications).
    if (Array.isArray(parsedBody) && parsedBody.length === 0) {
      return c.json(
        { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: empty batch' } },
        400,
      );
    }
    const limits = { maxBatchCalls: deps.mcp.maxBatchCalls, maxResponseBytes: deps.mcp.maxResponseBytes };
    // The common request, one plain tools/call, is answered here exactly as the SDK would (see plainToolCall).
    const call = plainToolCall(request.headers, parsedBody, deps.tools);
    if (call) {
      const result = await callTool(deps.tools, call.name, call.args, authInfo, context);
      const text = JSON.stringify({ result, jsonrpc: '2.0', id: call.id });
      const answer = Buffer.byteLength(text) <= limits.maxResponseBytes ? text : budgetError(call.id, limits);
      return c.body(answer, 200, { 'content-type': 'application/json' });
    }
    return serveWithinBudget(parsedBody ?? UNPARSED, limits, (message) =>
      handleOne(message === UNPARSED ? undefined : message),
    );

    async function handleOne(message: unknown): Promise<Response> {
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
        maxRequestBodySize: deps.bodyLimitBytes,
      });
      const server = pool.acquire();
      await server.connect(transport);
      try {
        return await transport.handleRequest(request, { parsedBody: message, authInfo });
      } finally {
        // With JSON responses handleRequest settles once every answer is in. Closing waits a turn of
        // the event loop so the SDK's per-request bookkeeping finishes first: closed earlier, it aborts
        // every finished call's AbortController, which costs more than the call itself.
        setImmediate(() => void server.close().then(() => pool.release(server)));
      }
    }
  });

  // The same body the SDK transport gives for a method it does not serve (-32000, its generic server error).
  app.all(MCP_PATH, (c) =>
    c.json(
      {
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32000,
          message: `Method not allowed: ${c.req.method} ${MCP_PATH} (stateless server; use POST)`,
        },
      },
      405,
      { Allow: 'POST' },
    ),
  );
}

/**
 * Reads and parses the body through the server adapter's fast path (the SDK would read
 * `request.body` as a web stream, which costs more than the tool call itself). The transport still
 * checks Accept and Content-Type. A body that is not JSON goes to the transport unparsed, so it
 * answers exactly as it would have (415, 406 or a -32700 parse error).
 */
async function readJsonBody(request: Request): Promise<[Request, unknown]> {
  const text = await request.text();
  // A hostile depth is refused (400) before JSON.parse and the SDK's schemas recurse through it.
  if (jsonDepthExceeds(text)) throw tooDeepBodyError();
  try {
    return [request, JSON.parse(text)];
  } catch {
    return [new Request(request.url, { method: request.method, headers: request.headers, body: text }), undefined];
  }
}

/**
 * Idle servers, reused: building one costs about as much as a tool call. A server
 * serves one request at a time and holds no caller state, since the principal travels with each
 * request as authInfo. One that answered `initialize` keeps that client's details, so it is dropped.
 */
class ServerPool {
  private readonly idle: Server[] = [];

  constructor(
    private readonly create: () => Server,
    /** Idle servers kept; the pool grows with concurrency and keeps at most this many. (Default: 64) */
    private readonly maxIdle = 64,
  ) {}

  acquire(): Server {
    return this.idle.pop() ?? this.create();
  }

  release(server: Server): void {
    if (server.getClientVersion() === undefined && this.idle.length < this.maxIdle) this.idle.push(server);
  }
}

export { mcpTools } from './mcp-tools.js';
