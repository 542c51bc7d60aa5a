import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { UnavailableError } from '../core/errors.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';

export interface RunningServer {
  url: string;
  port: number;
  /**
   * Graceful stop: closes the listener and every idle keep-alive connection, answers a request that still arrives
   * on an open connection with 503 `Connection: close` (never processed), lets in-flight requests finish and
   * answers them with `Connection: close`, and force-closes whatever is still open after `timeoutMs`. Resolves
   * when every connection is closed.
   */
  close(timeoutMs: number): Promise<void>;
}

/** `Retry-After` of the 503 a request gets when it arrives on a kept-alive connection during shutdown. */
const SHUTDOWN_RETRY_AFTER_SECONDS = 1;

/** Socket limits of the listener (config `server.*`): a client cannot hold a connection open by sending slowly. */
export interface ServerLimits {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** The config defaults, for listeners started without a config (tests). */
export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
};

/** How often Node looks for requests past their timeouts (its default, 30 s, doubles how long a slow client stays). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export function startHttpServer(
  app: { fetch: (request: Request, env?: unknown) => Response | Promise<Response> },
  host: string,
  port: number,
  limits: ServerLimits = DEFAULT_SERVER_LIMITS,
): Promise<RunningServer> {
  let draining = false;
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: (request, env) => (draining ? shuttingDown(request) : app.fetch(request, env)),
        hostname: host,
        port,
        // Issue 10: a client sending its body one byte at a time held a socket 327 s (Node's defaults).
        serverOptions: {
          requestTimeout: limits.requestTimeoutMs,
          headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, limits.requestTimeoutMs),
        },
      },
      (info: AddressInfo) => {
        server.off('error', reject);
        const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${shownHost}:${info.port}`,
          port: info.port,
          close: (timeoutMs) => {
            draining = true;
            return closeGracefully(server, inFlight, timeoutMs);
          },
        });
      },
    ) as Server;
    server.maxConnections = limits.maxConnections;
    // Responses not yet finished, so shutdown can end their connections after them instead of keeping them alive.
    const inFlight = new Set<ServerResponse>();
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      inFlight.add(res);
      if (draining) res.shouldKeepAlive = false;
      res.once('close', () => inFlight.delete(res));
    });
    server.once('error', reject);
  });
}

function shuttingDown(request: Request): Response {
  const problem = toProblem(
    new UnavailableError('The server is shutting down; retry the request', SHUTDOWN_RETRY_AFTER_SECONDS),
    new URL(request.url).pathname,
  );
  return new Response(JSON.stringify(problem), {
    status: 503,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': String(SHUTDOWN_RETRY_AFTER_SECONDS) },
  });
}

function closeGracefully(server: Server, inFlight: Set<ServerResponse>, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    // Node's close() stops listening and closes the connections idle right now, but a connection busy now would
    // stay open after its response and serve the client's next request. Instead its response says
    // `Connection: close` (Node then ends the socket), and a response whose headers are already out (a stream)
    // gets its idle connection closed once it finishes.
    for (const res of inFlight) {
      if (!res.headersSent) res.shouldKeepAlive = false;
      res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
    }
    server.closeIdleConnections();
  });
}
