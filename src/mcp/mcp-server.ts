import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
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
  server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
    callTool(tools, request.params.name, request.params.arguments, extra.authInfo, context),
  );
  server.onerror = (error) => context.logger.debug({ err: error }, 'MCP transport or protocol error');
  return server;
}
