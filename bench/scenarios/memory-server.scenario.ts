/**
 * memory-server: Session-Buddy's MCP over stdio (lite mode) against @modelcontextprotocol/server-memory
 * (the reference knowledge-graph memory server, JSONL file) over stdio, both driven by the real MCP SDK
 * client as a host runs them, on the same corpus (bench/lib/corpus.ts) at each size:
 *   writes — sequential calls from one client, one call in flight, into an empty store: their
 *            create_entities with one entity holding one observation (the reflection's text) against
 *            our store_reflection (content, project, tags, importance);
 *   search — sequential calls with the same short keyword (a component or tool name of a held-out
 *            sentence): their search_nodes (substring match over every entity) against our
 *            search_reflections in keyword and hybrid mode (limit 10), plus hybrid with the whole
 *            held-out problem description;
 *   messages — (ours only) the items as messages, then search_messages hybrid with each held-out sentence, its
 *            query vector first embedded, then cached.
 * server-memory reads and rewrites its whole file on every write, so a write costs O(items): when its
 * writes exceed BENCH_MEMORY_WRITE_BUDGET_S, the rest is extrapolated from a straight-line fit of the
 * measured calls, and the last BENCH_MEMORY_TAIL calls are measured for real on a file filled up to
 * there (written in its own JSONL format) to check the fit. The report says when this happened.
 *
 * Environment: BENCH_MEMORY_SIZES (1000,10000), BENCH_MEMORY_QUERIES (200), BENCH_MEMORY_WRITE_BUDGET_S
 * (60; 0 = no budget), BENCH_MEMORY_TAIL (100), BENCH_MEMORY_EMBEDDING (hash | local: Session-Buddy's
 * provider, through SESSION_BUDDY_EMBEDDING__PROVIDER).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CorpusItem, type CorpusQuery, reflectionCorpus } from '../lib/corpus.js';
import { type Latencies, latencies, sequentialMeasurement } from '../lib/latency.js';
import { type StdioMcp, startStdioMcp } from '../lib/mcp-stdio.js';
import { packageRoot } from '../lib/paths.js';
import type { Comparison, Measurement, Scenario, ScenarioContext } from '../lib/scenario.js';
import { configEnv, mergeConfig } from '../lib/settings.js';
import { fixed, integer, renderTable } from '../lib/table.js';

const TARGETS = { writes: 100, keyword: 20, hybrid: 1 } as const;
const WARMUP_QUERIES = 5;

interface Options {
  sizes: number[];
  queries: number;
  budgetS: number;
  tail: number;
  provider: 'hash' | 'local';
}

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}

function readOptions(): Options {
  const rawSizes = process.env.BENCH_MEMORY_SIZES ?? '1000,10000';
  const sizes = rawSizes.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 100))
    throw new Error('BENCH_MEMORY_SIZES must list integers >= 100');
  const provider = process.env.BENCH_MEMORY_EMBEDDING ?? 'hash';
  if (provider !== 'hash' && provider !== 'local') throw new Error('BENCH_MEMORY_EMBEDDING must be hash or local');
  return {
    sizes: [...sizes].sort((a, b) => a - b),
    queries: intFromEnv('BENCH_MEMORY_QUERIES', 200, 10),
    budgetS: intFromEnv('BENCH_MEMORY_WRITE_BUDGET_S', 60, 0),
    tail: intFromEnv('BENCH_MEMORY_TAIL', 100, 10),
    provider,
  };
}

/** One operation of one side: its latencies and, for writes, the time to write every item. */
interface Op {
  side: 'server-memory' | 'session-buddy';
  operation: string;
  ms: number[];
  /** Calls per second: items / total seconds for writes, 1000 / mean latency for searches. */
  rate: number;
  totalS: number;
  hits?: number;
  chars?: number;
  errors: number;
  extrapolated?: string;
}

async function searches(
  mcp: StdioMcp,
  queries: CorpusQuery[],
  tool: string,
  args: (q: CorpusQuery) => Record<string, unknown>,
  hitsOf: (structured: unknown) => number,
  warmup = WARMUP_QUERIES,
): Promise<Pick<Op, 'ms' | 'rate' | 'totalS' | 'hits' | 'chars' | 'errors'>> {
  for (const q of queries.slice(0, warmup)) await mcp.call(tool, args(q));
  const ms: number[] = [];
  let hits = 0;
  let chars = 0;
  let errors = 0;
  for (const q of queries) {
    const call = await mcp.call(tool, args(q));
    ms.push(call.ms);
    if (call.isError) errors++;
    hits += hitsOf(call.structured);
    chars += call.chars;
  }
  const total = ms.reduce((a, b) => a + b, 0);
  return {
    ms,
    rate: (1000 * ms.length) / total,
    totalS: total / 1000,
    hits: hits / queries.length,
    chars: chars / queries.length,
    errors,
  };
}

const entityOf = (item: CorpusItem, i: number) => ({
  name: `${item.project}:reflection-${i}`,
  entityType: 'reflection',
  observations: [item.content],
});

function startServerMemory(file: string): Promise<StdioMcp> {
  const bin = join(packageRoot(), 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm install (it is a devDependency)`);
  return startStdioMcp('server-memory', process.execPath, [bin], { MEMORY_FILE_PATH: file });
}

/** Least-squares line through (index, ms): what a call costs as the file grows. */
function fitLine(points: Array<[number, number]>): { a: number; b: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}

async function serverMemory(
  ctx: ScenarioContext,
  items: CorpusItem[],
  queries: CorpusQuery[],
  o: Options,
): Promise<Op[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-memory-'));
  const file = join(dir, 'memory.jsonl');
  let mcp = await startServerMemory(file);
  try {
    const create = (i: number) => mcp.call('create_entities', { entities: [entityOf(items[i] as CorpusItem, i)] });
    const ms: number[] = [];
    let errors = 0;
    const started = performance.now();
    for (let i = 0; i < items.length; i++) {
      if (o.budgetS > 0 && performance.now() - started > o.budgetS * 1000 && items.length - i > o.tail) break;
      const call = await create(i);
      ms.push(call.ms);
      if (call.isError) errors++;
      if ((i + 1) % 1000 === 0) ctx.log(`server-memory: ${i + 1} entities, last call ${fixed(call.ms, 1)} ms`);
    }
    let totalMs = ms.reduce((a, b) => a + b, 0);
    let extrapolated: string | undefined;
    const measured = ms.length;
    if (measured < items.length) {
      // Fill the file up to the tail in server-memory's own format (what its saveGraph writes), then measure the tail.
      await mcp.close();
      const fillTo = items.length - o.tail;
      const lines = items.slice(0, fillTo).map((item, i) => JSON.stringify({ type: 'entity', ...entityOf(item, i) }));
      writeFileSync(file, lines.join('\n'));
      mcp = await startServerMemory(file);
      const tail: number[] = [];
      for (let i = fillTo; i < items.length; i++) {
        const call = await create(i);
        tail.push(call.ms);
        if (call.isError) errors++;
      }
      const fit = fitLine(ms.map((y, x): [number, number] => [x, y]).slice(Math.floor(measured / 2)));
      let predicted = 0;
      for (let i = measured; i < fillTo; i++) predicted += fit.a + fit.b * i;
      let predictedTail = 0;
      for (let i = fillTo; i < items.length; i++) predictedTail += fit.a + fit.b * i;
      const tailTotal = tail.reduce((a, b) => a + b, 0);
      totalMs += predicted + tailTotal;
      extrapolated =
        `server-memory writes at ${items.length}: ${measured} calls measured from empty (${fixed(o.budgetS, 0)} s budget), ` +
        `calls ${measured + 1}–${fillTo} extrapolated from a line fitted to the second half of those ` +
        `(${fixed(fit.a, 2)} ms + ${fixed(fit.b * 1000, 3)} ms per 1000 items), last ${o.tail} measured on a file ` +
        `filled to ${fillTo}: mean ${fixed(tailTotal / o.tail, 2)} ms measured vs ${fixed(predictedTail / o.tail, 2)} ms ` +
        'predicted; its latency percentiles are of the measured calls only';
      ctx.log(extrapolated);
      ms.push(...tail);
    }
    const writes: Op = {
      side: 'server-memory',
      operation: 'create_entities',
      ms,
      rate: (1000 * items.length) / totalMs,
      totalS: totalMs / 1000,
      errors,
      extrapolated,
    };
    ctx.log(`server-memory: search_nodes × ${queries.length}`);
    const search = await searches(
      mcp,
      queries,
      'search_nodes',
      (q) => ({ query: q.keyword }),
      (s) => ((s as { entities?: unknown[] } | undefined)?.entities ?? []).length,
    );
    return [writes, { side: 'server-memory', operation: 'search_nodes', ...search }];
  } finally {
    await mcp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface QueueStats {
  queues?: Record<string, { waiting?: number; active?: number; delayed?: number }>;
  outbox?: { pending?: number };
}

/** Waits until the follow-up jobs of the writes are done, so searches do not share the CPU with them. */
async function drained(mcp: StdioMcp, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = (await mcp.call('queue_stats', {})).structured as QueueStats | undefined;
    const busy =
      (s?.outbox?.pending ?? 0) +
      Object.values(s?.queues ?? {}).reduce((n, q) => n + (q.waiting ?? 0) + (q.active ?? 0) + (q.delayed ?? 0), 0);
    if (busy === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/**
 * search_messages end to end (issue 11: hybrid p50 ≤ 15 ms with the query embedding, ≤ 3 ms when the LRU holds it):
 * the corpus items become messages, one session per project (add_messages, 100 per call), and once their
 * embedding jobs drained every held-out sentence (lower-cased, so the earlier reflection searches did not embed it)
 * is searched twice — first with a query vector the process has not seen (embedded by the provider), then again
 * (from the LRU).
 */
async function messageSearches(
  ctx: ScenarioContext,
  mcp: StdioMcp,
  items: CorpusItem[],
  queries: CorpusQuery[],
  hitsOf: (structured: unknown) => number,
): Promise<Op[]> {
  const byProject = new Map<string, CorpusItem[]>();
  for (const item of items) byProject.set(item.project, [...(byProject.get(item.project) ?? []), item]);
  for (const [project, list] of byProject) {
    const session = (await mcp.call('create_session', { name: `bench ${project}`, project })).structured as
      | { id?: string }
      | undefined;
    if (!session?.id) throw new Error(`create_session for ${project} gave no id`);
    for (let i = 0; i < list.length; i += 100) {
      const messages = list
        .slice(i, i + 100)
        .map((item, j) => ({ role: (i + j) % 2 ? 'assistant' : 'user', content: item.content }));
      const call = await mcp.call('add_messages', { session_id: session.id, messages });
      if (call.isError) throw new Error(`add_messages failed: ${JSON.stringify(call.structured)}`);
    }
  }
  if (!(await drained(mcp, 300_000))) ctx.log('session-buddy: message embedding jobs still running after 300 s');
  ctx.log(`session-buddy: search_messages hybrid × ${queries.length}, then again (query vectors cached)`);
  // Lower-cased: not the text the reflection searches before already embedded (the cache key is the text). No
  // warm-up calls: they would put the first query vectors in the cache before the first pass.
  const args = (q: CorpusQuery) => ({ q: q.text.toLowerCase(), mode: 'hybrid', limit: 10 });
  const ops: Op[] = [];
  for (const operation of ['search_messages hybrid', 'search_messages hybrid, cached']) {
    ops.push({
      side: 'session-buddy',
      operation,
      ...(await searches(mcp, queries, 'search_messages', args, hitsOf, 0)),
    });
  }
  return ops;
}

async function sessionBuddy(
  ctx: ScenarioContext,
  items: CorpusItem[],
  queries: CorpusQuery[],
  o: Options,
): Promise<Op[]> {
  const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const env = configEnv(
    mergeConfig({ embedding: { provider: o.provider }, logging: { level: 'warn' } }, ctx.settings.sessionBuddyConfig),
  );
  const mcp = await startStdioMcp(
    'session-buddy',
    process.execPath,
    [cli, 'start', '--transport=stdio', '--mode=lite'],
    env,
  );
  try {
    // Loads the embedding model (local) before anything is measured; server-memory has nothing to load.
    await mcp.call('store_reflection', {
      content: 'Warm-up reflection, not part of the corpus.',
      project: 'bench-warmup',
    });
    const ms: number[] = [];
    let errors = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as CorpusItem;
      const call = await mcp.call('store_reflection', {
        content: item.content,
        project: item.project,
        tags: item.tags,
        importance: item.importance,
      });
      ms.push(call.ms);
      if (call.isError || (call.structured as { created?: boolean } | undefined)?.created !== true) errors++;
      if ((i + 1) % 1000 === 0) ctx.log(`session-buddy: ${i + 1} reflections, last call ${fixed(call.ms, 1)} ms`);
    }
    const totalMs = ms.reduce((a, b) => a + b, 0);
    const writes: Op = {
      side: 'session-buddy',
      operation: 'store_reflection',
      ms,
      rate: (1000 * items.length) / totalMs,
      totalS: totalMs / 1000,
      errors,
    };
    // The writes return before their vectors exist (the embed-reflection jobs make them): searches start once
    // those have drained, and how long that took is the model's share of the writes.
    const drainStarted = performance.now();
    if (!(await drained(mcp, 600_000))) ctx.log('session-buddy: follow-up jobs still running after 600 s');
    ctx.log(
      `session-buddy: ${items.length} reflections embedded ${fixed((performance.now() - drainStarted) / 1000, 1)} s ` +
        'after the last write returned',
    );
    const hitsOf = (s: unknown) => ((s as { items?: unknown[] } | undefined)?.items ?? []).length;
    const ops: Op[] = [writes];
    const variants: Array<[string, (q: CorpusQuery) => Record<string, unknown>]> = [
      ['search keyword', (q) => ({ q: q.keyword, mode: 'keyword', limit: 10 })],
      ['search hybrid', (q) => ({ q: q.keyword, mode: 'hybrid', limit: 10 })],
      ['search hybrid, sentence', (q) => ({ q: q.text, mode: 'hybrid', limit: 10 })],
    ];
    for (const [operation, args] of variants) {
      ctx.log(`session-buddy: ${operation} × ${queries.length}`);
      ops.push({
        side: 'session-buddy',
        operation,
        ...(await searches(mcp, queries, 'search_reflections', args, hitsOf)),
      });
    }
    ops.push(...(await messageSearches(ctx, mcp, items, queries, hitsOf)));
    return ops;
  } finally {
    await mcp.close();
  }
}

function label(size: number): string {
  return size % 1000 === 0 ? `${size / 1000}k` : String(size);
}

function comparison(group: string, subject: Op, baseline: Op, target: number): Comparison {
  const ratio = subject.rate / baseline.rate;
  return {
    group,
    subject: `session-buddy ${subject.operation}`,
    baseline: `server-memory ${baseline.operation}`,
    ratio,
    roundRatios: [ratio],
    cpuRatio: Number.NaN,
    target,
    pass: ratio >= target,
  };
}

export const scenario: Scenario = {
  name: 'memory-server',
  description:
    'MCP over stdio, sequential calls: store_reflection vs create_entities, search_reflections (keyword, hybrid) vs search_nodes',
  async run(ctx) {
    const o = readOptions();
    const { items: all, queries } = reflectionCorpus(Math.max(...o.sizes), o.queries);
    const measurements: Measurement[] = [];
    const comparisons: Comparison[] = [];
    const rows: string[][] = [];
    const notes: string[] = [];
    const details: Record<string, unknown> = {};
    for (const size of o.sizes) {
      const items = all.slice(0, size);
      const group = label(size);
      ctx.log(`${group}: server-memory`);
      const theirs = await serverMemory(ctx, items, queries, o);
      ctx.log(`${group}: session-buddy (lite, ${o.provider} embeddings)`);
      const ours = await sessionBuddy(ctx, items, queries, o);
      const ops = [...theirs, ...ours];
      details[group] = ops.map(({ ms, ...rest }) => ({ ...rest, latencyMs: latencies(ms) }));
      for (const op of ops) {
        const l: Latencies = latencies(op.ms);
        const problems = op.errors > 0 ? [`${op.errors} calls answered isError or did not store`] : [];
        measurements.push({ ...sequentialMeasurement(group, `${op.side} ${op.operation}`, l, problems), rps: op.rate });
        rows.push([
          group,
          op.side,
          op.operation,
          integer(op.ms.length),
          fixed(op.totalS, 1),
          integer(op.rate),
          fixed(l.p50, 2),
          fixed(l.p95, 2),
          fixed(l.p99, 2),
          op.hits === undefined ? '-' : fixed(op.hits, 1),
          op.chars === undefined ? '-' : integer(op.chars),
          op.extrapolated ? 'yes' : '',
        ]);
        if (op.extrapolated) notes.push(op.extrapolated);
      }
      const [theirWrites, theirSearch] = theirs as [Op, Op];
      const [ourWrites, keyword, hybrid] = ours as [Op, Op, Op];
      comparisons.push(
        comparison(group, ourWrites, theirWrites, TARGETS.writes),
        comparison(group, keyword, theirSearch, TARGETS.keyword),
        comparison(group, hybrid, theirSearch, TARGETS.hybrid),
      );
    }
    const table = renderTable(
      [
        'size',
        'server',
        'operation',
        'calls',
        'total s',
        'calls/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'hits',
        'chars',
        'extrapolated',
      ],
      rows,
      ['right', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    );
    const sbEnv = configEnv(mergeConfig({ embedding: { provider: o.provider } }, ctx.settings.sessionBuddyConfig));
    const local = existsSync(join(packageRoot(), 'settings', 'local.yaml'));
    const result = {
      measurements,
      comparisons,
      notes: [
        'both servers: spawned by @modelcontextprotocol/sdk StdioClientTransport, one Client, one call in flight; ' +
          'latency = client.callTool round trip (client-side output-schema validation included)',
        `session-buddy: node dist/src/cli/main.js start --transport=stdio --mode=lite (SQLite in memory, in-process jobs), ` +
          `env ${Object.entries(sbEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}${local ? '; WARNING: settings/local.yaml exists and applies' : ''}; ` +
          'searches start once the follow-up jobs of the writes have drained',
        'server-memory: node_modules/@modelcontextprotocol/server-memory/dist/index.js, MEMORY_FILE_PATH in a fresh temp dir',
        'writes: calls/s = items / time to write all of them into an empty store; searches: calls/s = 1000 / mean latency; ' +
          `${queries.length} queries after ${WARMUP_QUERIES} warm-up calls; hits and chars = mean per answer`,
        'search input: the same short keyword for search_nodes, keyword and hybrid; "hybrid, sentence" uses the whole ' +
          'held-out problem description (server-memory cannot match a sentence as a substring)',
        `targets: writes >= ${TARGETS.writes}x (stated for 10k), keyword search >= ${TARGETS.keyword}x, hybrid >= ${TARGETS.hybrid}x ` +
          'server-memory search_nodes, as throughput of sequential calls',
        ...notes,
        '',
        table,
      ],
      details,
    };
    return result;
  },
};
