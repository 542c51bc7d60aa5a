import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface ReceivedCall {
  tool: string;
  ids: string[];
  authorization: string | undefined;
}

export interface FakeAkoshaOptions {
  /** Offer `batch_store_memories` (else only `store_memory`). (Default: true) */
  batch?: boolean;
  /** Port to listen on. (Default: any free port) */
  port?: number;
}

export interface FakeAkosha {
  /** `http://127.0.0.1:<port>/mcp` */
  url: string;
  port: number;
  /** Every tool call received, in order, answered or not. */
  calls(): ReceivedCall[];
  /** What is stored, by memory id: a memory sent again with the same id replaces itself, as in Akosha. */
  stored(): Map<string, Record<string, unknown>>;
  /** How many times each id was stored (more than 1: it was sent again). */
  storeCounts(): Map<string, number>;
  /** After `afterCalls` more tool calls, the next one stores what it carries, then its connection drops (a lost ack). */
  dropAnswer(afterCalls?: number): void;
  /** Tool calls carrying a memory whose content includes `text` answer an error result (null: none do). */
  refuse(text: string | null): void;
  /** Stops listening and cuts every connection (Akosha down). */
  close(): Promise<void>;
  /** Listens again on the same port (Akosha back), with the same stored memories. */
  restart(): Promise<void>;
}

/**
 * A real MCP server (the SDK's McpServer over StreamableHTTPServerTransport, stateless: a server per request) on
 * 127.0.0.1, playing Akosha: `batch_store_memories {memories}` and `store_memory {id, content, …}`, recording what
 * it receives. It needs `Authorization: Bearer <token>` when given a token.
 */
export async function startFakeAkosha(token?: string, options: FakeAkoshaOptions = {}): Promise<FakeAkosha> {
  const calls: ReceivedCall[] = [];
  const stored = new Map<string, Record<string, unknown>>();
  const counts = new Map<string, number>();
  let dropIn = -1;
  let refusing: string | null = null;

  const memory = z.looseObject({ id: z.string().min(1), content: z.string() });

  function mcpServer(req: IncomingMessage): McpServer {
    const server = new McpServer({ name: 'fake-akosha', version: '0.0.0' });
    const keep = (tool: string, memories: Array<Record<string, unknown> & { id: string }>) => {
      calls.push({ tool, ids: memories.map((m) => m.id), authorization: req.headers.authorization });
      if (refusing !== null && memories.some((m) => String(m.content).includes(refusing as string))) {
        return { isError: true, content: [{ type: 'text' as const, text: `refused: content has '${refusing}'` }] };
      }
      for (const m of memories) {
        stored.set(m.id, m);
        counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
      }
      if (dropIn === 0) req.socket.destroy();
      if (dropIn >= 0) dropIn -= 1;
      return { content: [{ type: 'text' as const, text: `stored ${memories.length}` }] };
    };
    if (options.batch ?? true) {
      server.registerTool(
        'batch_store_memories',
        { description: 'Store many memories', inputSchema: { memories: z.array(memory) } },
        async ({ memories }) => keep('batch_store_memories', memories),
      );
    }
    server.registerTool('store_memory', { description: 'Store one memory', inputSchema: memory }, async (args) =>
      keep('store_memory', [args as Record<string, unknown> & { id: string }]),
    );
    return server;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const server = mcpServer(req);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  }

  let http: Server | undefined;
  let port = options.port ?? 0;
  const listen = async () => {
    http = createServer((req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => http?.listen(port, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
  };
  await listen();

  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    calls: () => [...calls],
    stored: () => new Map(stored),
    storeCounts: () => new Map(counts),
    dropAnswer: (afterCalls = 0) => {
      dropIn = afterCalls;
    },
    refuse: (text) => {
      refusing = text;
    },
    close: () =>
      new Promise((resolve) => {
        const server = http;
        http = undefined;
        if (!server) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    restart: listen,
  };
}
