import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { isSessionBuddyError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Principal } from '../core/principal.js';

export interface ToolAnnotations {
  /** The tool only reads. */
  readOnlyHint: boolean;
  /** The tool may remove or overwrite data (meaningful when not read-only). */
  destructiveHint: boolean;
  /** Calling again with the same arguments has no further effect. */
  idempotentHint: boolean;
}

/**
 * One MCP tool: a thin front door over a service call. Input is validated by the SDK against `input`
 * (the services validate again, so REST and MCP enforce the same rules); the result is returned both as
 * `structuredContent` (checked against `output`) and as readable text.
 */
export interface ToolDef<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  // Method syntax on purpose: it lets a list hold tools of different schemas (bivariant parameters).
  run(args: z.output<I>, principal: Principal): Promise<z.output<O>>;
  /** Text for clients that only show `content`. */
  text(result: z.output<O>): string;
}

/** Keeps a tool's schemas and handler types tied together where it is declared. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(tool: ToolDef<I, O>): ToolDef<I, O> {
  return tool;
}

/**
 * A one-line summary, then the full JSON so a client that ignores structuredContent loses nothing.
 * Compact JSON: models read it as well as indented JSON, for fewer tokens.
 */
export function summaryWithJson(summary: string, result: unknown): string {
  return `${summary}\n${JSON.stringify(result)}`;
}

export interface ToolCallContext {
  /**
   * Who a call acts for when its request carries no principal of its own: stdio uses the default
   * tenant. HTTP attaches each request's principal (see `principalAuthInfo`) and sets none here, so
   * a request that somehow lacks one fails instead of running as someone.
   */
  principal?: Principal;
  logger: Logger;
}

/** The caller's principal as SDK `authInfo`, which the transport hands to every call of the request. */
export function principalAuthInfo(principal: Principal, token: string): AuthInfo {
  return { token, clientId: principal.subject ?? principal.tenantId, scopes: [], extra: { principal } };
}

function principalOf(authInfo: AuthInfo | undefined, fallback: Principal | undefined): Principal {
  const principal = (authInfo?.extra?.principal as Principal | undefined) ?? fallback;
  if (!principal) throw new Error('MCP tool call without a principal');
  return principal;
}

/** Registers every tool on the server; each call runs as its request's principal, errors become `isError` results. */
export function registerTools(server: McpServer, tools: readonly ToolDef[], context: ToolCallContext): void {
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: { title: tool.title, ...tool.annotations, openWorldHint: false },
      },
      async (args: z.output<z.ZodObject>, extra: { authInfo?: AuthInfo }): Promise<CallToolResult> => {
        try {
          const result = await tool.run(args, principalOf(extra.authInfo, context.principal));
          return {
            content: [{ type: 'text', text: tool.text(result) }],
            structuredContent: result as Record<string, unknown>,
          };
        } catch (error) {
          return toolError(error, tool.name, context.logger);
        }
      },
    );
  }
}

/**
 * Domain errors keep their stable code and message (which names the field or the problem); anything
 * else is logged here and answered with a message that reveals nothing inside, never a stack.
 */
export function toolError(error: unknown, toolName: string, logger: Logger): CallToolResult {
  if (isSessionBuddyError(error) && error.code !== 'internal') {
    return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }] };
  }
  logger.error({ err: error, tool: toolName }, 'MCP tool failed');
  return {
    isError: true,
    content: [{ type: 'text', text: 'internal: An unexpected error occurred; it has been logged.' }],
  };
}
