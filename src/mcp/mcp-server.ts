import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode, ListToolsRequestSchema, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z } from 'zod';
import { callTool, type McpTool, type ToolCallContext } from './mcp-tools.js';

export interface McpServerInfo {
  /** Reported to clients in `initialize` (config `serverName`). */
  name: string;
  version: string;
}

const INSTRUCTIONS =
  'Session-Buddy records development sessions and their messages. Typical flow: create_session, then ' +
  'add_message (or add_messages for several) as work happens, get_messages or export_session to read back, ' +
  'update_session with status "ended" when done. Arguments and results use snake_case names; list tools page ' +
  'with cursor and next_cursor.';

/**
 * The SDK builds a fresh Ajv instance per server unless given one. The server only uses it for
 * elicitation answers, which we never request, and stateless HTTP makes a server per request: one
 * shared instance saves about a millisecond and a heap of garbage on every call.
 */
const sharedValidator = new AjvJsonSchemaValidator();

/**
 * An MCP server over the operation catalogue, so MCP and REST cannot diverge. The low-level SDK server:
 * arguments are parsed once, by the operation's own schema (in MCP names), and an unknown tool is a
 * JSON-RPC error (-32602) as the spec asks, not a tool result. Cheap to build: tool listings are made once.
 */
export function createMcpServer(
  tools: ReadonlyMap<string, McpTool>,
  info: McpServerInfo,
  context: ToolCallContext,
): Server {
  const server = new Server(
    { name: info.name, version: info.version },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS, jsonSchemaValidator: sharedValidator },
  );
  const listing: Tool[] = [...tools.values()].map((t) => t.definition);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listing }));
  // Registered on the base Protocol with a schema that takes any params: the SDK's own tools/call schema
  // answers `arguments: [1,2]` or `null` with -32603 (or -32602) and a multi-line zod dump; here the params
  // are checked by hand and a bad shape is -32602 with one line naming what was wrong (issue 10).
  Protocol.prototype.setRequestHandler.call(server, LooseCallToolRequestSchema, (request, extra) => {
    const { name, args } = callToolParams(request.params);
    return callTool(tools, name, args, extra.authInfo, context);
  });
  server.onerror = (error) => context.logger.debug({ err: error }, 'MCP transport or protocol error');
  return server;
}

const LooseCallToolRequestSchema = z.object({ method: z.literal('tools/call'), params: z.unknown() });

/** `tools/call` params: an object with a string `name` and, if present, an object `arguments`. */
export function callToolParams(params: unknown): { name: string; args: Record<string, unknown> | undefined } {
  if (!isPlainObject(params)) throw invalidParams(`params must be an object, got ${kindOf(params)}`);
  const { name, arguments: args } = params;
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidParams(`params.name must be a non-empty string (the tool name), got ${kindOf(name)}`);
  }
  if (args !== undefined && !isPlainObject(args)) {
    throw invalidParams(`params.arguments must be an object of named arguments, got ${kindOf(args)}`);
  }
  return { name, args };
}

function invalidParams(message: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `Invalid params: ${message}`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
