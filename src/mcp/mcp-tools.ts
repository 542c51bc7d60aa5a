import { createHash } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { type CallToolResult, ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { isSessionBuddyError, ValidationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Principal } from '../core/principal.js';
import { assertCleanInput } from '../core/validate.js';
import type { Operation } from '../operations/operation.js';
import { admit, scopeInput } from '../operations/run-operation.js';
import type { Services } from '../services/services.js';
import { fromMcpNames, jsonSchemaInMcpNames, mcpArgumentName, toMcpNames } from './mcp-names.js';

/** One operation as an MCP tool: its listing (made once) and the call. */
export interface McpTool {
  definition: Tool;
  operation: Operation;
}

export interface ToolCallContext {
  services: Services;
  /**
   * Who a call acts for when its request carries no principal of its own: stdio uses the default
   * tenant. HTTP attaches each request's principal (see `principalAuthInfo`) and sets none here, so
   * a request that somehow lacks one fails instead of running as someone.
   */
  principal?: Principal;
  logger: Logger;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return withoutSafeIntegerBounds(rest) as Record<string, unknown>;
}

/**
 * zod writes ±Number.MAX_SAFE_INTEGER as the bounds of every integer: they say nothing a client needs and were a
 * fifth of the tool listing. Real bounds (a limit's 1–100, a count's 0) stay.
 */
function withoutSafeIntegerBounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutSafeIntegerBounds);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'minimum' && value === Number.MIN_SAFE_INTEGER) continue;
    if (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) continue;
    out[key] = withoutSafeIntegerBounds(value);
  }
  return out;
}

/**
 * An output schema with a `$id` naming the tool and the schema's content: clients that validate structured results
 * (the SDK's Client compiles every output schema with Ajv on each tools/list) compile a schema with a `$id` once and
 * reuse it, so listing the tools again costs almost nothing. The hash changes whenever the schema does.
 */
function withId(tool: string, schema: Record<string, unknown>): Record<string, unknown> {
  const hash = createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 16);
  return { $id: `urn:session-buddy:tool-output:${tool}:${hash}`, ...schema };
}

function describeNames(op: Operation): string {
  const renamed = Object.entries(op.mcp ? (op.mcp.rename ?? {}) : {}).map(([ours, theirs]) => `${ours} for ${theirs}`);
  const note = renamed.length ? ` (${renamed.join(', ')} also accepted)` : '';
  return `${op.description} Arguments in snake_case; camelCase is accepted too${note}.`;
}

/** The MCP tools of these operations, in MCP names; the JSON Schemas are made here, once. */
export function mcpTools(operations: readonly Operation[]): Map<string, McpTool> {
  const tools = new Map<string, McpTool>();
  for (const op of operations) {
    if (op.mcp === false) continue;
    if (tools.has(op.name)) throw new Error(`MCP tool '${op.name}' is declared twice`);
    const rename = op.mcp?.rename ?? {};
    tools.set(op.name, {
      operation: op,
      definition: {
        name: op.name,
        title: op.title,
        description: describeNames(op),
        inputSchema: jsonSchemaInMcpNames(jsonSchema(op.input, 'input'), rename) as Tool['inputSchema'],
        outputSchema: withId(
          op.name,
          jsonSchemaInMcpNames(jsonSchema(op.output, 'output')) as Record<string, unknown>,
        ) as Tool['outputSchema'],
        annotations: { title: op.title, ...op.annotations, openWorldHint: false },
      },
    });
  }
  return tools;
}

/** Parses MCP arguments once, with the operation's schema; errors name the argument as the client sent it. */
function parseArguments(op: Operation, args: unknown): Record<string, unknown> {
  const rename = op.mcp ? (op.mcp.rename ?? {}) : {};
  const named = fromMcpNames(op.input, args ?? {}, rename);
  assertCleanInput(named, [], (path) => mcpPath(path, rename));
  const result = op.input.safeParse(named);
  if (result.success) return result.data as Record<string, unknown>;
  const issues = result.error.issues.map((issue) => ({
    ...issue,
    path: issue.path.length ? [mcpPath(issue.path.map(String), rename)] : [],
    ...('keys' in issue ? { keys: issue.keys.map((k) => mcpArgumentName(k, rename)) } : {}),
  }));
  throw ValidationError.fromZod({ issues } as unknown as z.ZodError);
}

function mcpPath([first, ...rest]: string[], rename: Record<string, string>): string {
  return [mcpArgumentName(first ?? '', rename), ...rest].join('.');
}

/** Runs one tool call; domain errors become `isError` results, an unknown tool a JSON-RPC error. */
export async function callTool(
  tools: ReadonlyMap<string, McpTool>,
  name: string,
  args: unknown,
  authInfo: AuthInfo | undefined,
  context: ToolCallContext,
): Promise<CallToolResult> {
  const tool = tools.get(name);
  if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
  const op = tool.operation;
  try {
    const operationContext = { principal: principalOf(authInfo, context.principal), services: context.services };
    await admit(op, operationContext);
    const input = await scopeInput(op, operationContext, parseArguments(op, args));
    const result = await op.run(operationContext, input);
    const structured = toMcpNames(op.output, result) as Record<string, unknown>;
    const text = op.document ? op.document(result) : `${op.summary(result)}\n${JSON.stringify(structured)}`;
    return { content: [{ type: 'text', text }], structuredContent: structured };
  } catch (error) {
    return toolError(error, name, context.logger);
  }
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
