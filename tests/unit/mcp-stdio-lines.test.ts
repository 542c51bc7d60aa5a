import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonRpcLineFilter } from '../../src/mcp/mcp-stdio-lines.js';

function run(chunks: Buffer[], maxLineBytes?: number): Promise<{ passed: string; answered: unknown[] }> {
  const stdout = new PassThrough();
  let answered = '';
  stdout.on('data', (c: Buffer) => {
    answered += c.toString();
  });
  const filter = jsonRpcLineFilter(stdout, maxLineBytes);
  let passed = '';
  filter.on('data', (c: Buffer) => {
    passed += c.toString();
  });
  return new Promise((resolve) => {
    filter.on('end', () =>
      resolve({
        passed,
        answered: answered
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as unknown),
      }),
    );
    for (const chunk of chunks) filter.write(chunk);
    filter.end();
  });
}

describe('stdio line filter (issue 10)', () => {
  const ping = (id: number, extra = '') => `{"jsonrpc":"2.0","id":${id},"method":"ping"${extra}}\n`;

  it('passes JSON-RPC lines whole, even with a character split between chunks', async () => {
    const line = Buffer.from(ping(1, ',"params":{"note":"é✓"}'));
    const split = line.indexOf(Buffer.from('✓')) + 1;
    const { passed, answered } = await run([line.subarray(0, split), line.subarray(split)]);
    expect(passed).toBe(line.toString());
    expect(answered).toEqual([]);
  });

  it('answers a non-JSON line -32700, a non-JSON-RPC line -32600 with its id, and goes on', async () => {
    const { passed, answered } = await run([Buffer.from(`nope\n{"id":7,"x":1}\n\n${ping(2)}`)]);
    expect(passed).toBe(ping(2));
    expect(answered).toMatchObject([
      { jsonrpc: '2.0', id: null, error: { code: -32700 } },
      { jsonrpc: '2.0', id: 7, error: { code: -32600 } },
    ]);
  });

  it('skips a line longer than the limit with one -32700 answer, keeping memory bounded', async () => {
    const long = `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":"${'a'.repeat(300)}"}}`;
    const chunks = [Buffer.from(long.slice(0, 150)), Buffer.from(long.slice(150)), Buffer.from(`\n${ping(4)}`)];
    const { passed, answered } = await run(chunks, 100);
    expect(passed).toBe(ping(4));
    expect(answered).toMatchObject([
      { id: null, error: { code: -32700, message: expect.stringContaining('100 bytes') } },
    ]);
  });
});
