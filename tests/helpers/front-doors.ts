import { expect } from 'vitest';
import type { Application } from '../../src/app.js';

export type Json = Record<string, unknown>;

export interface RestAnswer {
  status: number;
  text: string;
  json: Json;
}

export interface McpAnswer {
  /** HTTP status of the /mcp POST. */
  status: number;
  text: string;
  /** The JSON-RPC answer (a single response). */
  body: Json;
  /** The tool result when the call reached a tool. */
  result?: { isError?: boolean; content?: Array<{ text?: string }>; structuredContent?: Json };
  error?: { code: number; message: string };
}

/** REST and MCP (streamable HTTP at /mcp) of one application, in process, optionally with a bearer token. */
export function frontDoors(app: Application, token?: () => string | undefined) {
  const auth = (): Record<string, string> => {
    const t = token?.();
    return t ? { authorization: `Bearer ${t}` } : {};
  };
  let rpcId = 0;
  return {
    async rest(
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ): Promise<RestAnswer> {
      const init: RequestInit = { method, headers: { ...auth(), ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const res = await app.http.request(`http://localhost:8678${path}`, init);
      const text = await res.text();
      let json: Json = {};
      try {
        json = text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Json) : {};
      } catch {
        json = {};
      }
      return { status: res.status, text, json };
    },
    /** One tools/call; `raw` sends this text as the body instead. */
    async mcp(name: string, args: unknown, raw?: string): Promise<McpAnswer> {
      const body =
        raw ?? JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method: 'tools/call', params: { name, arguments: args } });
      const res = await app.http.request('http://localhost:8678/mcp', {
        method: 'POST',
        headers: {
          host: 'localhost:8678',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-06-18',
          ...auth(),
        },
        body,
      });
      const text = await res.text();
      let parsed: Json = {};
      try {
        parsed = text ? (JSON.parse(text) as Json) : {};
      } catch {
        parsed = {};
      }
      return {
        status: res.status,
        text,
        body: parsed,
        result: parsed.result as McpAnswer['result'],
        error: parsed.error as McpAnswer['error'],
      };
    },
  };
}

/** A REST 400 problem naming `field` (or a field under it). */
export function expectRestRefusal(res: RestAnswer, field: string, status = 400): void {
  expect(res.status, res.text).toBe(status);
  const errors = (res.json.errors ?? []) as Array<{ field?: string }>;
  expect(
    errors.some((e) => e.field === field || e.field?.startsWith(`${field}.`)),
    `${field} in ${res.text}`,
  ).toBe(true);
  expectNoLeak(res.text);
}

/** An MCP tool error (isError) naming `field`. */
export function expectMcpRefusal(res: McpAnswer, field: string): void {
  expect(res.status, res.text).toBe(200);
  expect(res.result?.isError, res.text).toBe(true);
  const text = (res.result?.content ?? []).map((c) => c.text ?? '').join('');
  expect(text, res.text).toContain(field);
  expectNoLeak(res.text);
}

/** No stack frames, file paths or SQL/driver text in an answer. */
export function expectNoLeak(text: string): void {
  expect(text).not.toMatch(/\bat .*\.(ts|js):\d+|node_modules|\/src\//);
  expect(text).not.toMatch(
    /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b|PostgresError|SqliteError|syntax error at/,
  );
}
