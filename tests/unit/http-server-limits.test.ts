import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { DEFAULT_SERVER_LIMITS, type RunningServer, startHttpServer } from '../../src/http/server.js';
import { testConfig } from '../helpers/config.js';

/** Opens a socket and collects what the server writes until it closes the connection. */
function openSocket(port: number): { socket: Socket; received: () => string; closed: Promise<unknown> } {
  const socket = connect(port, '127.0.0.1');
  let data = '';
  socket.on('data', (chunk: Buffer) => {
    data += chunk.toString();
  });
  socket.on('error', () => {});
  return { socket, received: () => data, closed: once(socket, 'close') };
}

/**
 * Issue 10: a client that sent its body one byte at a time held a socket for 327 s (Node's defaults), and
 * nothing bounded the number of connections. With the DEFAULT limits, a slow body is cut (408, connection
 * closed) once `server.requestTimeoutMs` has passed; the bound asserted is generous (no tight timing).
 */
describe('HTTP listener limits', () => {
  let app: Application;
  let server: RunningServer;

  beforeAll(async () => {
    app = await createApplication(testConfig({}), createLogger('silent'), { defaultMetrics: false });
    server = await startHttpServer(app.http, '127.0.0.1', 0);
  });
  afterAll(async () => {
    await server?.close(1000);
    await app?.close();
  });

  it('documents sane defaults that match the config schema', () => {
    const { server: configured } = testConfig({});
    expect(DEFAULT_SERVER_LIMITS).toEqual({
      requestTimeoutMs: configured.requestTimeoutMs,
      headersTimeoutMs: configured.headersTimeoutMs,
      keepAliveTimeoutMs: configured.keepAliveTimeoutMs,
      maxConnections: configured.maxConnections,
    });
    expect(DEFAULT_SERVER_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(60_000);
  });

  it('cuts a client that sends its body slower than requestTimeoutMs', async () => {
    const { socket, received, closed } = openSocket(server.port);
    await once(socket, 'connect');
    socket.write(
      'POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    // Keep trickling a byte now and then, as the slow-body client of the issue did, until the server hangs up.
    const trickle = setInterval(() => socket.writable && socket.write(' '), 2_000);
    const bound = DEFAULT_SERVER_LIMITS.requestTimeoutMs * 4;
    const cut = await Promise.race([
      closed.then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still open'), bound).unref()),
    ]);
    clearInterval(trickle);
    socket.destroy();
    expect(cut).toBe('closed');
    expect(received()).toMatch(/^HTTP\/1\.1 408/);
  }, 200_000);

  it('closes connections past maxConnections as they arrive', async () => {
    const small = await startHttpServer(app.http, '127.0.0.1', 0, { ...DEFAULT_SERVER_LIMITS, maxConnections: 1 });
    const first = openSocket(small.port);
    try {
      await once(first.socket, 'connect');
      // The first connection is served (so the server has counted it) and kept alive.
      first.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await once(first.socket, 'data');
      const second = openSocket(small.port);
      await second.closed;
      expect(second.received()).toBe('');
    } finally {
      first.socket.destroy();
      await small.close(1000);
    }
  });
});
