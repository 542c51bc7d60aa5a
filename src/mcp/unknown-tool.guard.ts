import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type MessageExtraInfo,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * Answers `tools/call` for a tool that does not exist with a JSON-RPC error (-32602), as the MCP spec
 * asks for unknown tools. SDK 1.32 turns every failure inside `tools/call`, this one included, into an
 * `isError` tool result; this decorator sits between the transport and the server so the server's
 * own behaviour stays untouched for every other message.
 */
export class UnknownToolGuard implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  constructor(
    private readonly inner: Transport,
    knownTools: ReadonlySet<string>,
  ) {
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => {
      const unknown = unknownToolName(message, knownTools);
      if (unknown !== undefined && isJSONRPCRequest(message)) {
        const error = { code: ErrorCode.InvalidParams, message: `Unknown tool: ${unknown}` };
        inner.send({ jsonrpc: '2.0', id: message.id, error }, { relatedRequestId: message.id }).catch((e: Error) => {
          this.onerror?.(e);
        });
        return;
      }
      this.onmessage?.(message, extra);
    };
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function unknownToolName(message: JSONRPCMessage, known: ReadonlySet<string>): string | undefined {
  if (!isJSONRPCRequest(message) || message.method !== 'tools/call') return undefined;
  const name = (message.params as { name?: unknown } | undefined)?.name;
  // A missing or non-string name is left to the server, which answers it as malformed params.
  return typeof name === 'string' && !known.has(name) ? name : undefined;
}
