import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Application } from '../app.js';
import { VERSION } from '../core/version.js';
import { createMcpServer } from './mcp-server.js';
import { jsonRpcLineFilter } from './mcp-stdio-lines.js';
import { mcpTools } from './mcp-tools.js';

export interface McpStdioHandle {
  /** Closes the MCP server, then the application (pools, connections). Safe to call more than once. */
  stop(reason: string): Promise<void>;
  /** Settles once stopped, whatever stopped it. */
  stopped: Promise<void>;
}

/**
 * MCP over stdin/stdout for clients that launch the command themselves. Only protocol goes to
 * stdout (the caller must log to stderr). The caller is the local user who launched the process, so
 * calls act as the default tenant. The server stops when stdin ends, i.e. when the client goes away.
 */
export async function serveMcpStdio(
  app: Application,
  io: { stdin: Readable; stdout: Writable } = { stdin: process.stdin, stdout: process.stdout },
): Promise<McpStdioHandle> {
  const server = createMcpServer(
    mcpTools(app.operations),
    { name: app.config.serverName, version: VERSION },
    { services: app.services, principal: { tenantId: app.config.auth.defaultTenant }, logger: app.logger },
  );
  // The first stop request wins; shutdown runs a tick later, so close() re-entering through the
  // transport's onclose finds the request already made.
  let requestStop: (reason: string) => void = () => {};
  const requested = new Promise<string>((resolve) => {
    requestStop = resolve;
  });
  // A line that is not JSON-RPC gets a JSON-RPC error answer instead of silence (see mcp-stdio-lines.ts).
  const lines = jsonRpcLineFilter(io.stdout);
  const stopped = requested.then(async (reason) => {
    app.logger.info({ reason }, 'MCP stdio: shutting down');
    await server.close().catch((error: Error) => app.logger.warn({ err: error }, 'MCP server close failed'));
    // Stop reading stdin, as the SDK transport does on close, so an open stdin does not keep the process alive.
    io.stdin.unpipe(lines);
    io.stdin.pause();
    await app.close();
  });
  const stop = (reason: string): Promise<void> => {
    requestStop(reason);
    return stopped;
  };

  // The SDK transport does not watch for end of input; a client that exits just closes our stdin.
  io.stdin.once('end', () => void stop('stdin closed'));
  server.onclose = () => void stop('transport closed');
  io.stdin.pipe(lines);
  await server.connect(new StdioServerTransport(lines, io.stdout));
  return { stop, stopped };
}

/**
 * In stdio mode stdout belongs to the protocol, so console output a library prints (TensorFlow.js
 * debug and profiling output uses console.log) goes to stderr instead. Call before anything is loaded.
 */
export function routeConsoleToStderr(): void {
  const toStderr = (...args: unknown[]): void => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.dir = toStderr;
}
