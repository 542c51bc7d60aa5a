import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/** One item as Akosha receives it; `id` is stable per item and version, so a resent item is recognised. */
export interface Memory {
  id: string;
  content: string;
  source: 'session-buddy';
  kind: string;
  tenant_id: string;
  project: string | null;
  tags: string[];
  updated_at: string;
  metadata: Record<string, unknown>;
}

/** Akosha's tools: the batch one when it has it, else one call per item. */
export const BATCH_TOOL = 'batch_store_memories';
export const ITEM_TOOL = 'store_memory';

/** Akosha answered a call with an error result (`isError`): it is up, it refused this batch. */
export class AkoshaRefusedError extends Error {
  constructor(tool: string, message: string) {
    super(`akosha ${tool} refused the batch: ${message}`);
    this.name = 'AkoshaRefusedError';
  }
}

export interface AkoshaClientOptions {
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Each MCP request (connect, list, call) fails after this long (ms). */
  timeoutMs: number;
  clientInfo: { name: string; version: string };
}

/** What a sync run talks to: one session, opened on the first batch, closed at the end of the run. */
export interface MemorySink {
  /** Stores the memories; resolves once Akosha acknowledged all of them. Returns the tool used. */
  store(memories: Memory[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * An MCP client of Akosha over streamable HTTP. The first `store` connects and lists the tools once; a batch goes
 * through `batch_store_memories {memories}`, or, when Akosha has no such tool, through `store_memory` item by item.
 */
export class AkoshaClient implements MemorySink {
  private session: Promise<{ client: Client; batch: boolean }> | undefined;

  constructor(private readonly options: AkoshaClientOptions) {}

  async store(memories: Memory[]): Promise<string> {
    const { client, batch } = await this.connect();
    if (batch) {
      await this.call(client, BATCH_TOOL, { memories });
      return BATCH_TOOL;
    }
    for (const memory of memories) await this.call(client, ITEM_TOOL, { ...memory });
    return ITEM_TOOL;
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    const open = await session?.catch(() => undefined);
    await open?.client.close().catch(() => undefined);
  }

  private connect(): Promise<{ client: Client; batch: boolean }> {
    this.session ??= (async () => {
      const { url, token, timeoutMs, clientInfo } = this.options;
      const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
      // The MCP client is loaded on the first push: only outgoing sync uses it, and start-up need not pay for it.
      const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
        import('@modelcontextprotocol/sdk/client/index.js'),
        import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
      ]);
      const client = new Client(clientInfo);
      try {
        await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }), {
          timeout: timeoutMs,
        });
        const { tools } = await client.listTools(undefined, { timeout: timeoutMs });
        const names = new Set(tools.map((t) => t.name));
        if (!names.has(BATCH_TOOL) && !names.has(ITEM_TOOL)) {
          throw new AkoshaRefusedError(ITEM_TOOL, `the server at ${url} has neither ${BATCH_TOOL} nor ${ITEM_TOOL}`);
        }
        return { client, batch: names.has(BATCH_TOOL) };
      } catch (error) {
        await client.close().catch(() => undefined);
        throw error;
      }
    })();
    // A failed connection is not kept: the next store connects again.
    this.session.catch(() => {
      this.session = undefined;
    });
    return this.session;
  }

  private async call(client: Client, name: string, args: Record<string, unknown>): Promise<void> {
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: this.options.timeoutMs });
    if (result.isError) {
      const content = Array.isArray(result.content) ? result.content : [];
      const text = content.map((c: { type: string; text?: string }) => (c.type === 'text' ? c.text : '')).join(' ');
      throw new AkoshaRefusedError(name, text.trim() || 'no message');
    }
  }
}
