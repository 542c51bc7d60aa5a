import type { Scenario, ScenarioResult } from './scenario.js';

type Align = 'left' | 'right';

/** A plain-text table: header, rule, rows. */
export function renderTable(header: string[], rows: string[][], align: Align[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

export function integer(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-';
}

/** `median M, spread ±S%` of the per-round ratios (half the min–max range against the median), when there are ≥ 2. */
export function roundSpread(ratios: number[]): string | undefined {
  const finite = ratios.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length < 2) return undefined;
  const mid = Math.floor(finite.length / 2);
  const median =
    finite.length % 2 ? (finite[mid] as number) : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2;
  const half = ((finite[finite.length - 1] as number) - (finite[0] as number)) / 2;
  return `median ${fixed(median, 2)}, spread ±${fixed((100 * half) / median, 0)}%`;
}

/** The printed report of one scenario. */
export function renderScenario(scenario: Scenario, result: ScenarioResult): string {
  const rows = result.measurements.map((m) => [
    m.group,
    m.target,
    integer(m.rps),
    fixed(m.latencyMs.p50, 2),
    fixed(m.latencyMs.p99, 2),
    integer(m.serverCpuUsPerRequest),
    integer(m.requests),
    String(m.non2xx),
    String(m.errors),
    m.problems.length === 0 ? 'yes' : 'NO',
  ]);
  const out = [
    `${scenario.name}: ${scenario.description}`,
    '',
    renderTable(
      ['group', 'target', 'req/s', 'p50 ms', 'p99 ms', 'cpu µs/req', 'requests', 'non-2xx', 'errors', 'valid'],
      rows,
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    ),
    '',
  ];
  for (const c of result.comparisons) {
    const rounds = c.roundRatios.map((r) => fixed(r, 2)).join(', ');
    const spread = roundSpread(c.roundRatios);
    out.push(
      `${c.group}: ${c.subject} / ${c.baseline} throughput = ${fixed(c.ratio, 2)} ` +
        `(target >= ${fixed(c.target, 2)}: ${c.pass ? 'PASS' : 'FAIL'}; per round: ${rounds}` +
        `${spread ? `; ${spread}` : ''}; server CPU per request predicts ${fixed(c.cpuRatio, 2)})`,
    );
  }
  for (const m of result.measurements) {
    for (const problem of m.problems) out.push(`INVALID ${m.group}/${m.target}: ${problem}`);
  }
  for (const note of result.notes ?? []) out.push(note);
  return out.join('\n');
}
