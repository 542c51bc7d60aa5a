import { isInitializeRequest, isJSONRPCRequest, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

export interface BatchLimits {
  /** `mcp.maxBatchCalls`: most messages in one batch. */
  maxBatchCalls: number;
  /** `mcp.maxResponseBytes`: bytes of JSON one HTTP request may get back, a batch in all. */
  maxResponseBytes: number;
}

/** Answers one JSON-RPC message (an object, never an array) as the SDK transport would. */
export type HandleOne = (message: unknown) => Promise<Response>;

/** JSON-RPC error code of an answer left out because the request's response budget is spent. */
export const RESPONSE_BUDGET_EXCEEDED = -32000;

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * Serves a POST body within the response budget (issue 10: one 1.6 KB batch of `export_session` calls answered
 * 159 MB). A batch larger than `maxBatchCalls` is refused whole (-32600, nothing runs). Otherwise its messages
 * run one after another, each through the SDK as a request of its own, so at most one call's result is being
 * built at a time and other requests are served between calls. Answers are added up in bytes; the one that would
 * pass `maxResponseBytes`, and every request after it (not run), answer a JSON-RPC error naming the limit. A
 * single message gets the same check. Batches the SDK refuses whole (an `initialize` inside one, an invalid
 * message) go to it unsplit, so the refusal is the SDK's own.
 */
export async function serveWithinBudget(body: unknown, limits: BatchLimits, handle: HandleOne): Promise<Response> {
  if (!Array.isArray(body)) return singleWithinBudget(body, limits, handle);
  if (body.length > limits.maxBatchCalls) {
    return errorResponse(
      null,
      -32600,
      `Invalid Request: a batch of ${body.length} messages exceeds mcp.maxBatchCalls (${limits.maxBatchCalls}); ` +
        'send fewer calls per batch',
      400,
    );
  }
  const splittable = body.every((m) => JSONRPCMessageSchema.safeParse(m).success) && !body.some(isInitializeRequest);
  if (!splittable) return handle(body);

  const parts: string[] = [];
  let bytes = 2; // the brackets
  let spent = false;
  for (const [index, message] of body.entries()) {
    const id = isJSONRPCRequest(message) ? message.id : undefined;
    if (spent) {
      if (id !== undefined) parts.push(budgetError(id, limits));
      continue;
    }
    const response = await handle(message);
    // Refused before anything ran (Accept, Content-Type, protocol version): the same for every message.
    if (index === 0 && response.status !== 200 && response.status !== 202) return response;
    const text = response.status === 202 ? '' : await response.text();
    if (text.length === 0) continue;
    const size = Buffer.byteLength(text) + 1;
    if (bytes + size > limits.maxResponseBytes) {
      spent = true;
      parts.push(budgetError(id ?? null, limits));
      continue;
    }
    parts.push(text);
    bytes += size;
  }
  if (parts.length === 0) return new Response(null, { status: 202 });
  return new Response(`[${parts.join(',')}]`, { status: 200, headers: JSON_HEADERS });
}

async function singleWithinBudget(body: unknown, limits: BatchLimits, handle: HandleOne): Promise<Response> {
  const response = await handle(body);
  if (response.status !== 200 || !response.headers.get('content-type')?.includes('application/json')) return response;
  const text = await response.text();
  if (Buffer.byteLength(text) <= limits.maxResponseBytes) {
    return new Response(text, { status: response.status, headers: response.headers });
  }
  const id = isJSONRPCRequest(body) ? body.id : null;
  return new Response(budgetError(id, limits), { status: 200, headers: JSON_HEADERS });
}

/** The JSON-RPC error answered instead of a result that would pass `mcp.maxResponseBytes`. */
export function budgetError(id: string | number | null, limits: BatchLimits): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    error: {
      code: RESPONSE_BUDGET_EXCEEDED,
      message:
        `Response too large: the answers of this request passed mcp.maxResponseBytes (${limits.maxResponseBytes} ` +
        'bytes); send fewer calls per batch or ask for less (e.g. a lower max_chars or limit)',
      data: { limit: 'mcp.maxResponseBytes', maxResponseBytes: limits.maxResponseBytes },
    },
  });
}

function errorResponse(id: string | number | null, code: number, message: string, status: number): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }), {
    status,
    headers: JSON_HEADERS,
  });
}
