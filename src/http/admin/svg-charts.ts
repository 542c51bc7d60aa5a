import { type Html, html, raw } from './html.js';

/**
 * Small server-rendered SVG charts for the admin pages: no scripts, no external fonts or assets, so they render
 * under the pages' CSP (`default-src 'none'`) and without JavaScript. Every label and name goes through the `html`
 * template, which escapes it: data (project names, pattern names, errors) never becomes markup. Hovering a point or
 * a bar shows its value (an SVG `<title>`).
 */

export interface Series {
  /** Shown in the legend and in each point's tooltip. */
  name: string;
  /** One value per label of the chart, in order. */
  values: readonly number[];
  /** (Default: the next colour of PALETTE) */
  color?: string;
}

export interface LineChartOptions {
  /** Accessible name of the chart (its `<title>`). */
  title: string;
  /** The x axis, e.g. UTC days `YYYY-MM-DD`, oldest first. */
  labels: readonly string[];
  series: readonly Series[];
  /** (Default: 720) */
  width?: number;
  /** (Default: 240) */
  height?: number;
}

export interface Bar {
  label: string;
  value: number;
  /** Extra text in the bar's tooltip. */
  detail?: string;
}

export interface BarChartOptions {
  title: string;
  bars: readonly Bar[];
  /** (Default: PALETTE[0]) */
  color?: string;
  /** (Default: 720) */
  width?: number;
}

/** Colours that stay apart for the usual kinds of colour blindness (Okabe–Ito). */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#f0e442', '#000000'];

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,sans-serif" font-size="11"';
const MUTED = `${FONT} fill="#57606a"`;
const INK = `${FONT} fill="#1f2328"`;
const MAX_X_LABELS = 8;
const LABEL_CHARS = 28;

/** A line per series over the labels (days), with a legend, a y axis from 0 and gridlines. */
export function lineChart(options: LineChartOptions): Html {
  const width = options.width ?? 720;
  const height = options.height ?? 240;
  const series = options.series.map((s, i) => ({ ...s, color: s.color ?? (PALETTE[i % PALETTE.length] as string) }));
  const pad = { top: 28, right: 16, bottom: 28, left: 44 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const n = options.labels.length;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.map(finite))));
  const x = (i: number) => pad.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => pad.top + plotH - (finite(v) / max) * plotH;

  const ticks = yTicks(max);
  const grid = ticks.map(
    (t) =>
      html`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(t)}" y2="${y(t)}" stroke="#d8dee4"/><text x="${pad.left - 6}" y="${y(t) + 4}" text-anchor="end" ${raw(MUTED)}>${formatNumber(t)}</text>`,
  );
  const every = Math.max(1, Math.ceil(n / MAX_X_LABELS));
  const xLabels = options.labels.map((label, i) =>
    (i % every === 0 && n - 1 - i >= every / 2) || i === n - 1
      ? html`<text x="${x(i)}" y="${height - 8}" text-anchor="middle" ${raw(MUTED)}>${shortLabel(label)}</text>`
      : '',
  );
  // Series after the first are dashed, so a line drawn over another (equal values) still lets it show.
  const lines = series.map(
    (s, k) => html`<g class="series" data-series="${s.name}">
<polyline fill="none" stroke="${s.color}" stroke-width="2"${k > 0 ? raw(` stroke-dasharray="${k === 1 ? '6 4' : '2 3'}"`) : ''} points="${options.labels.map((_, i) => `${r(x(i))},${r(y(s.values[i] ?? 0))}`).join(' ')}"/>
${options.labels.map(
  (label, i) =>
    html`<circle cx="${r(x(i))}" cy="${r(y(s.values[i] ?? 0))}" r="${n > 60 ? 1.5 : 3}" fill="${s.color}"><title>${s.name} on ${label}: ${formatNumber(s.values[i] ?? 0)}</title></circle>`,
)}</g>`,
  );
  return svg(
    options.title,
    width,
    height,
    html`${grid}${xLabels}${legend(series, pad.left, 14)}${lines}${n === 0 ? noData(width, height) : ''}`,
  );
}

/** Horizontal bars, one per item, largest scale first as given; the value is printed after each bar. */
export function barChart(options: BarChartOptions): Html {
  const width = options.width ?? 720;
  const rowH = 24;
  const labelW = Math.min(240, Math.round(width * 0.34));
  const valueW = 56;
  const pad = { top: 8, bottom: 8 };
  const bars = options.bars;
  const height = pad.top + pad.bottom + Math.max(1, bars.length) * rowH;
  const max = Math.max(0, ...bars.map((b) => finite(b.value)));
  const plotW = width - labelW - valueW - 8;
  const color = options.color ?? PALETTE[0];
  const rows = bars.map((bar, i) => {
    const top = pad.top + i * rowH;
    const w = max === 0 ? 0 : Math.max(finite(bar.value) > 0 ? 2 : 0, (finite(bar.value) / max) * plotW);
    const tip = `${bar.label}: ${formatNumber(bar.value)}${bar.detail ? ` (${bar.detail})` : ''}`;
    return html`<g class="bar" data-label="${bar.label}"><title>${tip}</title>
<text x="${labelW - 8}" y="${top + 16}" text-anchor="end" ${raw(INK)}>${truncate(bar.label)}</text>
<rect x="${labelW}" y="${top + 4}" width="${r(w)}" height="${rowH - 8}" rx="2" fill="${color}"/>
<text x="${labelW + r(w) + 6}" y="${top + 16}" ${raw(MUTED)}>${formatNumber(bar.value)}</text></g>`;
  });
  return svg(options.title, width, height, html`${rows}${bars.length === 0 ? noData(width, height) : ''}`);
}

function svg(title: string, width: number, height: number, body: Html): Html {
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" style="max-width:${width}px"><title>${title}</title>
<rect width="${width}" height="${height}" fill="#fff"/>
${body}</svg>`;
}

function legend(series: ReadonlyArray<{ name: string; color: string }>, left: number, top: number): Html {
  let at = left;
  const items = series.map((s) => {
    const item = html`<g class="legend"><rect x="${at}" y="${top - 8}" width="10" height="10" rx="2" fill="${s.color}"/><text x="${at + 14}" y="${top + 1}" ${raw(INK)}>${truncate(s.name)}</text></g>`;
    at += 14 + Math.min(LABEL_CHARS, s.name.length) * 6.5 + 16;
    return item;
  });
  return html`${items}`;
}

function noData(width: number, height: number): Html {
  return html`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" ${raw(MUTED)}>No data</text>`;
}

/** The smallest of 1, 2, 2.5, 5 × 10^k at or above `value` (at least 1), so the axis has round ticks. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** Ticks from 0 to `max` (a niceMax) at round steps: 1 for small counts, else a fifth or a quarter of `max`. */
function yTicks(max: number): number[] {
  const lead = max / 10 ** Math.floor(Math.log10(max));
  const count = max <= 5 && Number.isInteger(max) ? max : lead === 2 ? 4 : 5;
  return Array.from({ length: count + 1 }, (_, i) => (max * i) / count);
}

/** `2026-03-01` → `03-01`; other labels are shortened to a few dozen characters. */
function shortLabel(label: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(label) ? label.slice(5) : truncate(label);
}

function truncate(text: string): string {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
}

function formatNumber(n: number): string {
  const value = finite(n);
  return Number.isInteger(value)
    ? value.toLocaleString('en-US')
    : value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

function r(value: number): number {
  return Math.round(value * 10) / 10;
}
