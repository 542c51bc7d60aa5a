import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/http/server.js';

function get(agent: Agent, url: string): Promise<{ status?: number; connection?: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    let socket!: Socket;
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, socket }));
    });
    req.on('socket', (s) => {
      socket = s;
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP server shutdown', () => {
  it('closes idle keep-alive connections at once and answers in-flight requests with Connection: close', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived!: () => void;
    const slowArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const server = await startHttpServer(
      {
        fetch: async (req) => {
          if (new URL(req.url).pathname === '/slow') {
            arrived();
            await held;
          }
          return new Response('ok');
        },
      },
      '127.0.0.1',
      0,
    );
    const agent = new Agent({ keepAlive: true });
    const other = new Agent({ keepAlive: true });
    const idle = await get(other, `${server.url}/fast`);
    expect(idle.connection).toBe('keep-alive');
    const idleClosed = new Promise((resolve) => idle.socket.once('close', resolve));

    const slow = get(agent, `${server.url}/slow`);
    await slowArrived;
    const closed = server.close(30_000);
    await idleClosed;
    release();
    expect(await slow).toMatchObject({ status: 200, connection: 'close' });
    await closed;
    agent.destroy();
    other.destroy();
  });
});
