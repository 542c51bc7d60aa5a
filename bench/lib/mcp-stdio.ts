/**
 * An MCP server started over stdio with the real SDK client, as an MCP host (an IDE, an agent) runs it:
 * the client spawns the command and speaks JSON-RPC over its stdin/stdout.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { registerCleanup } from './cleanup.js';

export interface ToolCall {
  ms: number;
  isError: boolean;
  /** Characters of text content in the answer. */
  chars: number;
  structured: unknown;
  text: string;
}

export interface StdioMcp {
  call(name: string, args: Record<string, unknown>): Promise<ToolCall>;
  /** tools/list through the SDK client (which compiles the output schemas it does not hold yet, as hosts do). */
  listTools(): Promise<{ ms: number; tools: number; bytes: number }>;
  /** The server's stderr so far (last 4 kB), for error messages. */
  stderr(): string;
  close(): Promise<void>;
}

/** `env` is added to the SDK's default environment (PATH, HOME…), not to this process's environment. */
export async function startStdioMcp(
  label: string,
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<StdioMcp> {
  const transport = new StdioClientTransport({
    command,
    args,
    env: { ...getDefaultEnvironment(), ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4096);
  });
  const client = new Client({ name: 'session-buddy-bench', version: '1.0.0' });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= client.close().then(() => unregister());
    return closed;
  };
  const unregister = registerCleanup(close);
  try {
    await client.connect(transport);
    // The client validates structured results against the tools' output schemas, as hosts do.
    await client.listTools();
  } catch (error) {
    await close().catch(() => {});
    throw new Error(`${label}: could not start over stdio: ${(error as Error).message}\n${stderr}`);
  }
  return {
    async call(name, args) {
      const t0 = performance.now();
      const result = await client.callTool({ name, arguments: args });
      const ms = performance.now() - t0;
      const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
      const text = content.map((c) => c.text ?? '').join('');
      return { ms, isError: result.isError === true, chars: text.length, structured: result.structuredContent, text };
    },
    async listTools() {
      const t0 = performance.now();
      const { tools } = await client.listTools();
      const ms = performance.now() - t0;
      return { ms, tools: tools.length, bytes: Buffer.byteLength(JSON.stringify({ tools })) };
    },
    stderr: () => stderr,
    close,
  };
}
