import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { callToolParams, isPlainObject } from './mcp-server.js';
import type { McpTool } from './mcp-tools.js';

/** A single `tools/call` of a known tool with nothing but a name and arguments: see plainToolCall. */
export interface PlainToolCall {
  id: string | number;
  name: string;
  args: Record<string, unknown> | undefined;
}

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const PARAMS_KEYS = new Set(['name', 'arguments']);

/**
 * The common MCP request, a single plain `tools/call`, answered without the SDK's transport and protocol objects:
 * they cost about as much as the call itself (a web Response and AbortSignal per request, the message schema
 * parsed twice), and MCP writes were 0.57 of REST. It answers exactly what the SDK answers
 * (`{"result":…,"jsonrpc":"2.0","id":…}`, `Content-Type: application/json`, status 200, the same callTool), which
 * tests/unit/mcp-http.test.ts checks call by call against the SDK path. Only a request the SDK transport would accept
 * and hand straight to our tools/call handler qualifies: Accept naming both JSON and event streams, Content-Type
 * exactly `application/json`, a supported (or no) protocol version, the four JSON-RPC keys with an integer or
 * string id, params with only `name` (a known tool) and an object `arguments`. Everything else — other methods,
 * notifications, batches, `_meta` or task params, any header the transport would refuse — goes to the SDK.
 */
export function plainToolCall(
  headers: Headers,
  body: unknown,
  tools: ReadonlyMap<string, McpTool>,
): PlainToolCall | undefined {
  const accept = headers.get('accept');
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  if (headers.get('content-type') !== 'application/json') return undefined;
  const version = headers.get('mcp-protocol-version');
  if (version !== null && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return undefined;
  if (!isPlainObject(body) || !onlyKeys(body, REQUEST_KEYS)) return undefined;
  const { jsonrpc, id, method, params } = body;
  if (jsonrpc !== '2.0' || method !== 'tools/call') return undefined;
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isInteger(id))) return undefined;
  if (!isPlainObject(params) || !onlyKeys(params, PARAMS_KEYS)) return undefined;
  try {
    // The same check as the SDK path's handler; a refusal is left to that path, which answers it.
    const { name, args } = callToolParams(params);
    return tools.has(name) ? { id, name, args } : undefined;
  } catch {
    return undefined;
  }
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}
