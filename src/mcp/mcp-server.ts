import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Services } from '../services/services.js';
import { registerTools, type ToolCallContext } from './tool-registry.js';
import { toolsFor } from './tools/index.js';
import { UnknownToolGuard } from './unknown-tool.guard.js';

export interface McpServerInfo {
  /** Reported to clients in `initialize` (config `serverName`). */
  name: string;
  version: string;
}

const INSTRUCTIONS =
  'Session-Buddy records development sessions and their messages. Typical flow: create_session, then ' +
  'add_message (or add_messages for several) as work happens, get_messages or export_session to read back, ' +
  'update_session with status "ended" when done. List tools page with cursor and nextCursor.';

/**
 * The SDK builds a fresh Ajv instance per server unless given one. The server only uses it for
 * elicitation answers, which we never request, and stateless HTTP makes a server per request: one
 * shared instance saves about a millisecond and a heap of garbage on every call.
 */
const sharedValidator = new AjvJsonSchemaValidator();

/** An McpServer whose every transport goes through the unknown-tool guard. */
class SessionBuddyMcpServer extends McpServer {
  constructor(
    info: McpServerInfo,
    private readonly toolNames: ReadonlySet<string>,
  ) {
    super(
      { name: info.name, version: info.version },
      { instructions: INSTRUCTIONS, jsonSchemaValidator: sharedValidator },
    );
  }

  override connect(transport: Transport): Promise<void> {
    return super.connect(new UnknownToolGuard(transport, this.toolNames));
  }
}

/**
 * Builds the MCP server over the same services REST uses, so the two front doors cannot diverge.
 * Cheap enough to build per request (stateless HTTP does): the tool definitions are built once.
 */
export function createMcpServer(services: Services, info: McpServerInfo, context: ToolCallContext): McpServer {
  const { tools, names } = toolsFor(services);
  const server = new SessionBuddyMcpServer(info, names);
  registerTools(server, tools, context);
  server.server.onerror = (error) => context.logger.debug({ err: error }, 'MCP transport or protocol error');
  return server;
}
