/**
 * tools-list: what an MCP host pays to list the tools, through the real SDK client over stdio: Session-Buddy (lite)
 * against @modelcontextprotocol/server-memory, side by side in the same run. Each round starts both servers fresh,
 * times the first tools/list (the client compiles every output schema it does not hold yet), then BENCH_TOOLS_LIST_CALLS
 * more calls alternating between the two servers, so drift hits both alike. Target (issue 11): Session-Buddy's
 * p50 ≤ 10 ms, i.e. a throughput ratio (1 / p50) ≥ 0.8 of the reference server's 8 ms.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latencies } from '../lib/latency.js';
import { type StdioMcp, startStdioMcp } from '../lib/mcp-stdio.js';
import { packageRoot } from '../lib/paths.js';
import type { Comparison, Measurement, Scenario } from '../lib/scenario.js';
import { fixed, integer, renderTable } from '../lib/table.js';

const TARGET_RATIO = 0.8;
const WARMUP = 5;

function calls(): number {
  const raw = process.env.BENCH_TOOLS_LIST_CALLS ?? '200';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 10) throw new Error(`BENCH_TOOLS_LIST_CALLS must be an integer >= 10, got '${raw}'`);
  return n;
}

function measurement(target: string, ms: number[], rounds: Measurement['rounds']): Measurement {
  const l = latencies(ms);
  const total = ms.reduce((a, b) => a + b, 0) / 1000;
  return {
    group: 'stdio',
    target,
    requests: ms.length,
    durationS: total,
    rps: ms.length / total,
    latencyMs: { mean: l.mean, p50: l.p50, p90: l.p90, p99: l.p99, max: l.max },
    serverCpuUsPerRequest: Number.NaN,
    non2xx: 0,
    errors: 0,
    rounds,
    problems: [],
  };
}

export const scenario: Scenario = {
  name: 'tools-list',
  description:
    'MCP tools/list through the SDK client over stdio: Session-Buddy vs server-memory (p50, first call, bytes)',
  async run(ctx) {
    const n = calls();
    const root = packageRoot();
    const memoryBin = join(root, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js');
    if (!existsSync(memoryBin)) throw new Error(`${memoryBin} is missing: run npm install (it is a devDependency)`);
    const cli = join(root, 'dist', 'bundle', 'main.js');
    const samples = { ours: [] as number[], theirs: [] as number[] };
    const rounds = { ours: [] as Measurement['rounds'], theirs: [] as Measurement['rounds'] };
    const first = { ours: [] as number[], theirs: [] as number[] };
    const size = { ours: { tools: 0, bytes: 0 }, theirs: { tools: 0, bytes: 0 } };
    for (let round = 0; round < ctx.settings.rounds; round++) {
      const ours = await startStdioMcp('session-buddy', process.execPath, [cli, 'start', '--transport=stdio'], {
        SESSION_BUDDY_EMBEDDING__PROVIDER: 'hash',
      });
      const theirs: StdioMcp = await startStdioMcp('server-memory', process.execPath, [memoryBin], {
        MEMORY_FILE_PATH: join(tmpdir(), `tools-list-memory-${process.pid}.jsonl`), // never written: only listed
      });
      try {
        // startStdioMcp already listed once (as a host does on connect): a fresh client times the first compile.
        for (const [key, server] of [
          ['ours', ours],
          ['theirs', theirs],
        ] as const) {
          const r = await server.listTools();
          first[key].push(r.ms);
          size[key] = { tools: r.tools, bytes: r.bytes };
        }
        for (let i = 0; i < WARMUP; i++) await Promise.all([ours.listTools(), theirs.listTools()]);
        const roundMs = { ours: [] as number[], theirs: [] as number[] };
        for (let i = 0; i < n; i++) {
          const order = (i + round) % 2 === 0 ? (['ours', 'theirs'] as const) : (['theirs', 'ours'] as const);
          for (const key of order) roundMs[key].push((await (key === 'ours' ? ours : theirs).listTools()).ms);
        }
        for (const key of ['ours', 'theirs'] as const) {
          samples[key].push(...roundMs[key]);
          const l = latencies(roundMs[key]);
          rounds[key].push({ rps: 1000 / l.p50, p50: l.p50, p99: l.p99, serverCpuUsPerRequest: Number.NaN });
        }
        ctx.log(
          `round ${round + 1}: p50 ours ${fixed(rounds.ours.at(-1)?.p50 ?? 0, 1)} ms, server-memory ${fixed(rounds.theirs.at(-1)?.p50 ?? 0, 1)} ms`,
        );
      } finally {
        await ours.close();
        await theirs.close();
      }
    }
    const subject = measurement('session-buddy', samples.ours, rounds.ours);
    const baseline = measurement('server-memory', samples.theirs, rounds.theirs);
    const p50 = (m: Measurement) => m.latencyMs.p50;
    const ratio = p50(baseline) / p50(subject);
    const comparison: Comparison = {
      group: 'stdio',
      subject: 'session-buddy tools/list',
      baseline: 'server-memory tools/list',
      ratio,
      roundRatios: rounds.ours.map((r, i) => (rounds.theirs[i]?.p50 ?? Number.NaN) / r.p50),
      cpuRatio: Number.NaN,
      target: TARGET_RATIO,
      pass: ratio >= TARGET_RATIO,
    };
    const median = (xs: number[]) => latencies(xs).p50;
    const table = renderTable(
      ['server', 'tools', 'bytes', 'first call ms (median)', 'p50 ms', 'p95 ms'],
      [
        [
          'session-buddy',
          integer(size.ours.tools),
          integer(size.ours.bytes),
          fixed(median(first.ours), 1),
          fixed(p50(subject), 2),
          fixed(latencies(samples.ours).p95, 2),
        ],
        [
          'server-memory',
          integer(size.theirs.tools),
          integer(size.theirs.bytes),
          fixed(median(first.theirs), 1),
          fixed(p50(baseline), 2),
          fixed(latencies(samples.theirs).p95, 2),
        ],
      ],
      ['left', 'right', 'right', 'right', 'right', 'right'],
    );
    return { measurements: [subject, baseline], comparisons: [comparison], notes: table.split('\n') };
  },
};
