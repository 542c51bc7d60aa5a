import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { describeToolSuite, type Mode, type ModeEnvironment, modeEnvironment } from './mcp-harness.js';

const START = [CLI, 'start', '--transport=stdio'];

describe.each<Mode>(['lite', 'standard'])('MCP over stdio, %s mode', (mode) => {
  let environment: ModeEnvironment;
  let client: Client;
  let stderr = '';

  beforeAll(async () => {
    environment = await modeEnvironment(mode);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...START, `--mode=${mode}`],
      // Standard mode as the original document's .mcp.json configures it: flat SESSION_BUDDY_AUTH_* names.
      env: {
        ...getDefaultEnvironment(),
        ...environment.env,
        ...(mode === 'standard'
          ? {
              SESSION_BUDDY_AUTH_ENABLED: 'true',
              SESSION_BUDDY_AUTH_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
            }
          : {}),
      },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    client = new Client({ name: 'e2e-stdio', version: '1.0.0' });
    await client.connect(transport);
    // A server that exits before the tests end fails them with "Connection closed": its stderr says why.
    client.onclose = () => {
      if (!closing) console.error(`the ${mode} stdio server exited early; its stderr ends:\n${stderr.slice(-4000)}`);
    };
  });

  let closing = false;
  afterAll(async () => {
    closing = true;
    await client?.close();
    await environment?.drop();
  });

  it('reports the server name and version, and logs to stderr', async () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'Session-Buddy' });
    await client.ping();
    // The log line and the protocol travel on different pipes: either may arrive first.
    await vi.waitFor(() => expect(stderr).toContain('"msg":"Session-Buddy ready"'), { timeout: 10_000 });
  });

  describeToolSuite(mode, () => client);
});

describe('MCP stdio process', () => {
  function startRaw(): { proc: ChildProcess; lines: () => string[]; stderr: () => string } {
    const proc = spawn(process.execPath, [...START, '--mode=lite'], {
      env: getDefaultEnvironment(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    return { proc, lines: () => out.split('\n').filter(Boolean), stderr: () => err };
  }

  function send(proc: ChildProcess, message: unknown): void {
    proc.stdin?.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
  }

  async function responseTo(lines: () => string[], id: number, proc: ChildProcess): Promise<unknown> {
    for (;;) {
      const found = lines()
        .map((line) => JSON.parse(line) as { id?: number })
        .find((m) => m.id === id);
      if (found) return found;
      await once(proc.stdout as NodeJS.ReadableStream, 'data');
    }
  }

  it('writes nothing but JSON-RPC to stdout, survives a garbage line, and exits 0 when stdin closes', async () => {
    const { proc, lines, stderr } = startRaw();
    const exited = once(proc, 'exit');
    send(proc, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await responseTo(lines, 1, proc);
    send(proc, { jsonrpc: '2.0', method: 'notifications/initialized' });
    send(proc, '{"this is": not json');
    send(proc, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'health_check', arguments: {} } });
    expect(await responseTo(lines, 2, proc)).toMatchObject({ result: { structuredContent: { mode: 'lite' } } });
    send(proc, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'nope', arguments: {} } });
    expect(await responseTo(lines, 3, proc)).toMatchObject({ error: { code: -32602 } });
    // A write starts the in-process embedding pipeline, which must not print to stdout either.
    send(proc, {
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'create_session', arguments: { name: 'x' } },
    });
    const created = (await responseTo(lines, 4, proc)) as { result: { structuredContent: { id: string } } };
    const sessionId = created.result.structuredContent.id;
    const add = { sessionId, role: 'user', content: 'written over stdio' };
    send(proc, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'add_message', arguments: add } });
    expect(await responseTo(lines, 5, proc)).toMatchObject({ result: { structuredContent: { created: true } } });

    proc.stdin?.end();
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    for (const line of lines()) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    expect(stderr()).toContain('"msg":"Session-Buddy ready"');
    expect(stderr()).toContain('"reason":"stdin closed"');
  });

  it('answers a line it cannot read (-32700, -32600) and bad tools/call params (-32602) in one line (issue 10)', async () => {
    const { proc, lines } = startRaw();
    const exited = once(proc, 'exit');
    const answerWith = async (id: null, code: number) => {
      for (;;) {
        const found = lines()
          .map((line) => JSON.parse(line) as { id?: unknown; error?: { code: number; message: string } })
          .filter((m) => m.id === id && m.error?.code === code);
        if (found.length) return found;
        await once(proc.stdout as NodeJS.ReadableStream, 'data');
      }
    };
    send(proc, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await responseTo(lines, 1, proc);
    send(proc, { jsonrpc: '2.0', method: 'notifications/initialized' });
    send(proc, '{"this is": not json');
    const [parseError] = await answerWith(null, -32700);
    expect(parseError?.error?.message).toMatch(/^Parse error: the line is not valid JSON/);
    send(proc, '{"hello":"world"}');
    const [invalid] = await answerWith(null, -32600);
    expect(invalid?.error?.message).toMatch(/not a JSON-RPC 2\.0 message/);

    for (const [id, args, kind] of [
      [2, [1, 2], 'an array'],
      [3, null, 'null'],
      [4, 'x', 'a string'],
    ] as const) {
      send(proc, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'health_check', arguments: args } });
      const answer = (await responseTo(lines, id, proc)) as { error: { code: number; message: string } };
      expect(answer.error.code).toBe(-32602);
      expect(answer.error.message).toContain(`params.arguments must be an object of named arguments, got ${kind}`);
      expect(answer.error.message).not.toContain('\n');
    }
    send(proc, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { arguments: {} } });
    expect(await responseTo(lines, 5, proc)).toMatchObject({
      error: { code: -32602, message: expect.stringContaining('params.name must be a non-empty string') },
    });
    // Still serving: a call without arguments and a good one.
    send(proc, { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'health_check' } });
    expect(await responseTo(lines, 6, proc)).toMatchObject({ result: { structuredContent: { mode: 'lite' } } });
    proc.stdin?.end();
    const [code] = await exited;
    expect(code).toBe(0);
    for (const line of lines()) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
  });

  it('exits 0 on SIGTERM', async () => {
    const { proc, lines } = startRaw();
    const exited = once(proc, 'exit');
    send(proc, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await responseTo(lines, 1, proc);
    proc.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
