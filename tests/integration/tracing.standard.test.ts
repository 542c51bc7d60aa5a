import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, runCli, startCli, startWorker } from '../helpers/cli.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/**
 * One trace across real processes: an API process and a worker process (standard mode: PostgreSQL outbox, BullMQ on
 * Redis) export their spans with the OTLP/HTTP JSON exporter to a receiver in this test. Separate processes, not one
 * process with the in-memory exporter, because the point is the trace context surviving the hops the issue names:
 * stored with the outbox row, carried in the BullMQ job, picked up by another process.
 */
describe('tracing across the API and worker processes (standard mode)', { timeout: 180_000 }, () => {
  const prefix = randomPrefix('tracing');
  const SECRET = 'private-words-that-must-never-reach-a-log-line';
  const SECRET_META = 'private-metadata-value-kept-out-of-logs';
  let db: TestDatabase;
  let api: RunningCli;
  let worker: RunningCli;
  let provider: FakeEmbeddingServer;
  let receiver: OtlpReceiver;
  let sessionId: string;
  const env = () => ({
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__URL: db.url,
    SESSION_BUDDY_REDIS__URL: REDIS_URL,
    SESSION_BUDDY_REDIS__PREFIX: prefix,
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'ollama',
    SESSION_BUDDY_EMBEDDING__URL: provider.url,
    SESSION_BUDDY_EMBEDDING__MODEL: 'fake-embed',
    SESSION_BUDDY_EMBEDDING__DIMENSION: '16',
    SESSION_BUDDY_MCP__ENABLED: 'true',
    SESSION_BUDDY_TRACING__ENABLED: 'true',
    SESSION_BUDDY_TRACING__OTLP_URL: receiver.url,
    // Debug: the level with the most lines, so "never the content" is checked where it is hardest.
    SESSION_BUDDY_LOGGING__LEVEL: 'debug',
  });

  beforeAll(async () => {
    provider = await startFakeEmbeddingServer({ dimension: 16 });
    receiver = await startOtlpReceiver();
    db = await createTestDatabase('tracing');
    expect(runCli(['migrate'], env()).status).toBe(0);
    api = await startCli([], env());
    worker = await startWorker(['--queues=embedding'], env());
    const created = await fetch(`${api.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'traced', project: 'tracing' }),
    });
    expect(created.status).toBe(201);
    sessionId = ((await created.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await db?.drop();
    await provider?.close();
    await receiver?.close();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  /** The span named `name` whose parent is `parent`, in `parent`'s trace. */
  function childOf(spans: ReceivedSpan[], parent: ReceivedSpan, name: string): ReceivedSpan {
    const child = spans.find(
      (s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId && s.name === name,
    );
    expect(child, `span '${name}' under '${parent.name}'`).toBeDefined();
    return child as ReceivedSpan;
  }

  /** Waits until the receiver has the whole chain below `root`: down to the vector write. */
  function waitForChain(what: string, root: (spans: ReceivedSpan[]) => ReceivedSpan | undefined) {
    return waitFor(
      what,
      () => {
        const spans = receiver.spans();
        const top = root(spans);
        if (!top) return undefined;
        const done = spans.some((s) => s.traceId === top.traceId && s.name === 'vector write');
        return done ? { spans, top } : undefined;
      },
      90_000,
    );
  }

  let restTraceId = '';
  let restTenant = '';

  it('REST: request → operation → outbox write → relay publish → worker job → provider call and vector write', async () => {
    const response = await fetch(`${api.url}/v1/sessions/${sessionId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-trace-1' },
      body: JSON.stringify({ role: 'user', content: SECRET, metadata: { note: SECRET_META } }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-request-id')).toBe('req-trace-1');

    const { spans, top: request } = await waitForChain('the REST trace down to the vector write', (all) =>
      all.find(
        (s) =>
          s.name === 'POST /v1/sessions/:id/messages' && s.attributes['session_buddy.request_id'] === 'req-trace-1',
      ),
    );
    expect(request).toMatchObject({ parentSpanId: '', role: 'api' });
    const operation = childOf(spans, request, 'add_message');
    expect(operation.role).toBe('api');
    const write = childOf(spans, operation, 'outbox write');
    // Either process's relay may publish the row; the job runs on the worker.
    const publish = childOf(spans, write, 'publish embed-messages');
    const job = childOf(spans, publish, 'job embed-messages');
    expect(job.role).toBe('worker');
    expect(childOf(spans, job, 'POST ollama/fake-embed').role).toBe('worker');
    expect(childOf(spans, job, 'vector write').role).toBe('worker');
    restTraceId = request.traceId;
    restTenant = String(operation.attributes['session_buddy.tenant']);
  });

  it('MCP over HTTP: the tool call runs under the /mcp request and its job continues the same trace', async () => {
    const client = new Client({ name: 'tracing-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`)));
    try {
      const result = await client.callTool({
        name: 'add_message',
        arguments: { session_id: sessionId, role: 'assistant', content: `${SECRET} via mcp` },
      });
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    const parentIsMcp = (all: ReceivedSpan[], s: ReceivedSpan) =>
      all.some((p) => p.spanId === s.parentSpanId && p.name === 'POST /mcp');
    const { spans, top: operation } = await waitForChain('the MCP trace down to the vector write', (all) =>
      all.find((s) => s.name === 'add_message' && parentIsMcp(all, s)),
    );
    const write = childOf(spans, operation, 'outbox write');
    const job = childOf(spans, childOf(spans, write, 'publish embed-messages'), 'job embed-messages');
    childOf(spans, job, 'vector write');
  });

  it('logs the request and the job with request id, tenant, job id and trace id, and never the content', async () => {
    const lines = (cli: RunningCli) =>
      cli
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const request = lines(api).find((l) => l.msg === 'request completed' && l.reqId === 'req-trace-1');
    expect(request).toMatchObject({
      tenant: restTenant,
      traceId: restTraceId,
      route: '/v1/sessions/:id/messages',
      status: 201,
    });
    const job = await waitFor('the job line', () =>
      lines(worker).find((l) => l.msg === 'job completed' && l.traceId === restTraceId),
    );
    expect(job).toMatchObject({ tenant: restTenant, jobId: expect.stringMatching(/^embed-messages-/) });
    for (const output of [api.output(), worker.output()]) {
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain(SECRET_META);
    }
  });
});
