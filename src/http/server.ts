import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface RunningServer {
  url: string;
  port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish, and force-closes whatever is still
   * open after `timeoutMs`. Resolves when the listener is closed.
   */
  close(timeoutMs: number): Promise<void>;
}

export function startHttpServer(
  app: { fetch: (request: Request, env?: unknown) => Response | Promise<Response> },
  host: string,
  port: number,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: (request, env) => app.fetch(request, env), hostname: host, port },
      (info: AddressInfo) => {
        server.off('error', reject);
        const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${shownHost}:${info.port}`,
          port: info.port,
          close: (timeoutMs) => closeGracefully(server, timeoutMs),
        });
      },
    ) as Server;
    server.once('error', reject);
  });
}

function closeGracefully(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    // Keep-alive sockets with no request in flight would hold close() open until they time out.
    server.closeIdleConnections();
  });
}
