import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { type RunningServer, startHttpServer } from '../../src/http/server.js';

type Open = () => Promise<{ app: Application; cleanup(): Promise<void> }>;
type Json = Record<string, unknown>;

const MESSAGES = 40;
const CONTENT_CHARS = 199_000;
const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};
/** Generous: only to fail instead of hanging; no timing is asserted. */
const HEALTH_BOUND_MS = 20_000;

/**
 * Issue 10, finding 2: response amplification. An 8 MB session (40 messages of 199k characters) and one JSON-RPC
 * batch of `export_session` calls answered 159 MB (batch of 10) or nothing within 80 s (batch of 100), with
 * /healthz stalled. With DEFAULT settings every answer is bounded: a batch past `mcp.maxBatchCalls` is refused
 * whole, the answers of a batch stop at `mcp.maxResponseBytes`, one export stops at max_chars, REST streams, and
 * /healthz answers meanwhile. Over a real listener, on each store.
 */
export function describeResponseBounds(name: string, open: Open) {
  describe(`bounded responses (issue 10 finding 2): ${name}`, () => {
    let app: Application;
    let cleanup: () => Promise<void>;
    let server: RunningServer;
    let sessionId: string;

    const mcp = (body: unknown) =>
      fetch(`${server.url}/mcp`, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(body) });
    const exportCall = (id: number, args: Json = {}) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'export_session', arguments: { session_id: sessionId, ...args } },
    });
    const healthz = async () => {
      const timer = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('healthz gave no answer')), HEALTH_BOUND_MS).unref(),
      );
      const res = await Promise.race([fetch(`${server.url}/healthz`), timer]);
      return res.status;
    };

    beforeAll(async () => {
      ({ app, cleanup } = await open());
      server = await startHttpServer(app.http, '127.0.0.1', 0);
      const created = await fetch(`${server.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'huge' }),
      });
      sessionId = ((await created.json()) as { id: string }).id;
      for (let i = 0; i < MESSAGES; i++) {
        const res = await fetch(`${server.url}/v1/sessions/${sessionId}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ role: 'tool', content: `${i} ${'x'.repeat(CONTENT_CHARS - 4)}` }),
        });
        expect(res.status).toBe(201);
      }
    }, 120_000);
    afterAll(async () => {
      await server?.close(1000);
      await app?.close();
      await cleanup?.();
    });

    it('refuses a batch of 100 export_session calls whole, naming mcp.maxBatchCalls', async () => {
      const res = await mcp(Array.from({ length: 100 }, (_, i) => exportCall(i + 1)));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { id: null; error: { code: number; message: string } };
      expect(body).toMatchObject({ id: null, error: { code: -32600 } });
      expect(body.error.message).toMatch(/batch of 100 messages exceeds mcp\.maxBatchCalls \(20\)/);
    });

    it('bounds a full batch of export_session calls by mcp.maxResponseBytes while /healthz answers', async () => {
      const { maxBatchCalls, maxResponseBytes } = app.config.mcp;
      const pending = mcp(Array.from({ length: maxBatchCalls }, (_, i) => exportCall(i + 1)));
      // Asked while the batch runs: the event loop is never held by one caller.
      expect(await healthz()).toBe(200);
      const res = await pending;
      expect(res.status).toBe(200);
      const text = await res.text();
      // The budget, plus a short error for each call left out.
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxResponseBytes + maxBatchCalls * 512);
      const answers = JSON.parse(text) as Array<{
        id: number;
        result?: { structuredContent: { truncated: boolean; messages: number; total_messages: number } };
        error?: { code: number; message: string };
      }>;
      expect(answers.map((a) => a.id)).toEqual(Array.from({ length: maxBatchCalls }, (_, i) => i + 1));
      const results = answers.filter((a) => a.result);
      const refused = answers.filter((a) => a.error);
      expect(results.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      for (const a of results) {
        expect(a.result?.structuredContent).toMatchObject({ truncated: true, total_messages: MESSAGES });
        expect(a.result?.structuredContent.messages).toBeLessThan(MESSAGES);
      }
      for (const a of refused) {
        expect(a.error).toMatchObject({ code: -32000, message: expect.stringContaining('mcp.maxResponseBytes') });
      }
      // Answers are in order: once the budget is spent, every later call is refused.
      expect(answers.findIndex((a) => a.error)).toBe(results.length);
      expect(await healthz()).toBe(200);
    });

    it('cuts one export at max_chars after whole messages, as a well-formed document', async () => {
      const res = await mcp(exportCall(1, { max_chars: 2_000_000 }));
      const body = (await res.json()) as {
        result: { content: Array<{ text: string }>; structuredContent: { document: string; messages: number } };
      };
      const { document, messages } = body.result.structuredContent;
      expect(document.length).toBeLessThanOrEqual(2_000_000);
      const parsed = JSON.parse(document) as { truncated: boolean; messages: unknown[] };
      expect(parsed.truncated).toBe(true);
      expect(parsed.messages).toHaveLength(messages);
      expect(messages).toBe(Math.floor(2_000_000 / (CONTENT_CHARS + 200)));
      expect(body.result.content[0]?.text).toMatch(/\[truncated: \d+ of 40 messages shown/);

      const tooBig = await mcp(exportCall(2, { max_chars: 50_000_000 }));
      expect(JSON.stringify(await tooBig.json())).toMatch(/max_chars/);
    });

    it('streams the whole session over REST, and a bounded one when max_chars is given', async () => {
      const res = await fetch(`${server.url}/v1/sessions/${sessionId}/export`);
      expect(res.status).toBe(200);
      const whole = JSON.parse(await res.text()) as { messages: unknown[]; truncated?: boolean };
      expect(whole.messages).toHaveLength(MESSAGES);
      expect(whole.truncated).toBeUndefined();

      const bounded = await fetch(`${server.url}/v1/sessions/${sessionId}/export?format=markdown&maxChars=500000`);
      const result = (await bounded.json()) as { document: string; truncated: boolean; messages: number };
      expect(result).toMatchObject({ truncated: true, messages: 2, totalMessages: MESSAGES });
      expect(result.document.length).toBeLessThanOrEqual(500_000);
      expect(result.document).toMatch(/_Truncated: 2 of 40 messages shown \(max_chars\)/);
    });
  });
}
