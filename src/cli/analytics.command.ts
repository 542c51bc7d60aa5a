import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Command, Option } from 'commander';
import { datasetQuery } from '../analytics/analytics-export.js';
import type { FactTable } from '../analytics/analytics-schema.js';
import type { Application } from '../app.js';
import { ValidationError } from '../core/errors.js';
import type {
  ActivitySummary,
  AnalyticsExportResult,
  AnalyticsQueryResult,
  Insights,
} from '../domain/analytics.model.js';
import type { SessionSummary } from '../domain/summary.model.js';
import { type CliAnswer, callOperation } from './call.command.js';
import { openCliApplication } from './cli-app.js';
import { progressMeter } from './progress.js';
import { BAD_INPUT, defined } from './shared.js';

interface CommonFlags {
  mode?: string;
  tenant?: string;
  json?: boolean;
  /** `--no-sync`: false. */
  sync: boolean;
}

/**
 * `session-buddy analytics summary|insights|query|export`: the analytics operations (get_activity_summary,
 * summarize_session, get_insights, query_analytics, export_analytics) with readable output, through the same
 * operation calls as `session-buddy call` (callOperation). In lite mode the command first brings the DuckDB facts up
 * to date from the SQLite file (no server runs the sync for it); in standard mode the reads go to the analytics owner.
 */
export function analyticsCommand(): Command {
  const analytics = new Command('analytics').description(
    'Analytics over the DuckDB facts: activity and session summaries, insights, read-only SQL, exports',
  );

  analytics.addCommand(
    common(new Command('summary'))
      .description('Activity over the last days (get_activity_summary), or one session (summarize_session)')
      .option('--session <id>', 'summarize this session instead')
      .option('--project <name>', 'only this project')
      .option('--days <n>', 'UTC days covered, today included (default 7)')
      .action(async (flags: CommonFlags & { session?: string; project?: string; days?: string }, cmd: Command) => {
        await withApp(cmd, flags, async (app) => {
          if (flags.session !== undefined) {
            const answer = await call<SessionSummary>(app, flags, 'summarize_session', { sessionId: flags.session });
            print(answer, flags, sessionText);
            return;
          }
          const input = defined({ project: flags.project, days: flags.days });
          print(await call<ActivitySummary>(app, flags, 'get_activity_summary', input), flags, activityText);
        });
      }),
  );

  analytics.addCommand(
    common(new Command('insights'))
      .description('Trends, dead letters, topics, patterns, anomalies and recommendations (get_insights)')
      .option('--project <name>', 'only this project')
      .option('--period <period>', 'days covered: 14, 14d, 2w, week, month, quarter or year (default 30)')
      .action(async (flags: CommonFlags & { project?: string; period?: string }, cmd: Command) => {
        await withApp(cmd, flags, async (app) => {
          const input = defined({ project: flags.project, period: flags.period });
          print(await call<Insights>(app, flags, 'get_insights', input), flags, insightsText);
        });
      }),
  );

  analytics.addCommand(
    common(new Command('query'))
      .description('Run one read-only SELECT/WITH over your analytics views (query_analytics) and print a table')
      .argument('<sql>', 'the statement, e.g. "SELECT role, count(*) FROM messages GROUP BY role"')
      .option('--param <value...>', 'values of $1, $2… in order')
      .option('--limit <n>', 'rows returned at most (default 1000)')
      .action(async (sql: string, flags: CommonFlags & { param?: string[]; limit?: string }, cmd: Command) => {
        await withApp(cmd, flags, async (app) => {
          const input = defined({ sql, params: flags.param, limit: flags.limit });
          print(await call<AnalyticsQueryResult>(app, flags, 'query_analytics', input), flags, tableText);
        });
      }),
  );

  analytics.addCommand(
    common(new Command('export'))
      .description(
        'Export a fact view or the rows of one SELECT (export_analytics) as csv, json (JSON Lines) or parquet: to ' +
          'stdout, to --out FILE (with a progress bar on a terminal), or to --destination in the server export directory',
      )
      .addOption(
        new Option('--dataset <name>', 'a whole fact view').choices([
          'sessions',
          'messages',
          'reflections',
          'patterns',
          'dead_letters',
        ]),
      )
      .option('--sql <statement>', 'one read-only SELECT/WITH instead of --dataset')
      .option('--param <value...>', 'values of $1, $2… of --sql in order')
      .option('--project <name>', 'dataset only: this project')
      .option('--from <time>', 'dataset only: rows created at or after this ISO 8601 time')
      .option('--to <time>', 'dataset only: rows created before this ISO 8601 time')
      .option('--format <format>', 'csv (default), json or parquet')
      .option('--out <file>', 'write the file here (a local path)')
      .option('--destination <path>', 'write it on the server, relative to analytics.exportDir')
      .option('--overwrite', 'replace --out or --destination when it exists')
      .action(async (flags: ExportFlags, cmd: Command) => {
        if (flags.out !== undefined && flags.destination !== undefined) {
          throw refused('--out', 'give --out (a local file) or --destination (on the server), not both');
        }
        const out = flags.out === undefined ? undefined : resolve(flags.out);
        if (out !== undefined && existsSync(out) && !flags.overwrite) {
          throw refused('--out', `${out} exists (add --overwrite to replace it)`);
        }
        await withApp(cmd, flags, (app) => exportTo(app, flags, out));
      }),
  );
  return analytics;
}

interface ExportFlags extends CommonFlags {
  dataset?: string;
  sql?: string;
  param?: string[];
  project?: string;
  from?: string;
  to?: string;
  format?: string;
  out?: string;
  destination?: string;
  overwrite?: boolean;
}

function common(command: Command): Command {
  return command
    .option('--mode <mode>', 'lite or standard (default from config)')
    .option('--tenant <id>', 'tenant (default: auth.defaultTenant)')
    .option('--json', 'print the JSON result')
    .option('--no-sync', 'lite mode: read DuckDB as it is, without catching up with the SQLite store first')
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : BAD_INPUT));
}

async function withApp(cmd: Command, flags: CommonFlags, fn: (app: Application) => Promise<void>): Promise<void> {
  await openCliApplication(cmd, flags.mode, async (app) => {
    // Lite mode has no analytics owner to ask: this process holds DuckDB, so it catches up itself first (a DuckDB
    // file held by a running server is skipped; the read then names the lock).
    if (flags.sync && app.jobs.backend.kind !== 'bullmq') await app.analytics.sync.run();
    await fn(app);
  });
}

function call<T>(app: Application, flags: CommonFlags, name: string, input: Record<string, unknown>) {
  return callOperation<T>(app, flags.tenant, name, input);
}

function print<T>(answer: CliAnswer<T>, flags: CommonFlags, text: (result: T, summary: string) => string): void {
  if ('download' in answer) throw new Error('unexpected file answer');
  process.stdout.write(
    `${flags.json ? JSON.stringify(answer.result, null, 2) : text(answer.result, answer.summary)}\n`,
  );
}

/** The export: to the server's export directory, to stdout, or to a local file written whole or not at all. */
async function exportTo(app: Application, flags: ExportFlags, out: string | undefined): Promise<void> {
  const input = defined({
    dataset: flags.dataset,
    sql: flags.sql,
    params: flags.param,
    project: flags.project,
    from: flags.from,
    to: flags.to,
    format: flags.format,
    destination: flags.destination,
    overwrite: flags.overwrite,
  });
  const answer = await call<AnalyticsExportResult>(app, flags, 'export_analytics', input);
  if (!('download' in answer)) {
    process.stdout.write(`${flags.json ? JSON.stringify(answer.result, null, 2) : answer.summary}\n`);
    return;
  }
  const total = await rowTotal(app, flags);
  const counter = rowCounter(flags.format ?? 'csv', total, out === undefined ? 'exporting' : `exporting to ${out}`);
  const source = Readable.fromWeb(answer.download.stream as NodeReadableStream<Uint8Array>);
  if (out === undefined) {
    try {
      await pipeline(source, counter.transform, process.stdout, { end: false });
    } finally {
      counter.finish();
    }
    return;
  }
  // Written beside the target and renamed at the end: an export that fails leaves no half file behind.
  const partial = resolve(dirname(out), `.${Date.now()}-${process.pid}.partial`);
  try {
    await pipeline(source, counter.transform, createWriteStream(partial));
    await rename(partial, out);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    counter.finish();
  }
  const { rows, bytes } = counter.counts();
  const what = rows === undefined ? `${formatBytes(bytes)}` : `${rows} row(s), ${formatBytes(bytes)}`;
  process.stderr.write(`Exported ${what} to ${out}.\n`);
}

/**
 * Rows the export will hold, for the progress bar: a count(*) over the same rows through query_analytics (same
 * tenant views and caps). Unknown when the count fails; the export then reports its own error, if any.
 */
async function rowTotal(app: Application, flags: ExportFlags): Promise<number | undefined> {
  if (!process.stderr.isTTY) return undefined;
  try {
    const inner =
      flags.sql !== undefined
        ? { sql: flags.sql.replace(/[\s;]+$/, ''), params: flags.param ?? [] }
        : datasetQuery(flags.dataset as FactTable, { project: flags.project, from: flags.from, to: flags.to });
    const answer = await call<AnalyticsQueryResult>(app, flags, 'query_analytics', {
      sql: `SELECT count(*) FROM (\n${inner.sql}\n) AS export_rows`,
      params: inner.params,
      limit: 1,
    });
    if ('download' in answer) return undefined;
    const n = Number(answer.result.rows[0]?.[0]);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Counts what goes through: bytes always, rows for csv (records after the header) and json (JSON Lines: one line
 * a row); parquet is binary, so its progress is in bytes.
 */
function rowCounter(format: string, total: number | undefined, label: string) {
  const meter = progressMeter(label);
  const lines = format === 'csv' || format === 'json';
  let newlines = 0;
  let quoted = false;
  let bytes = 0;
  const rows = () => (lines ? Math.max(0, newlines - (format === 'csv' ? 1 : 0)) : undefined);
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (format === 'json') for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
      else if (format === 'csv') {
        // A line break inside a quoted field is not the end of a record ("" inside quotes toggles twice).
        for (const byte of chunk) {
          if (byte === 34) quoted = !quoted;
          else if (byte === 10 && !quoted) newlines++;
        }
      }
      const r = rows();
      meter.update(r ?? bytes, r === undefined ? undefined : total, r === undefined ? 'bytes' : formatBytes(bytes));
      done(null, chunk);
    },
  });
  return { transform, finish: () => meter.done(), counts: () => ({ rows: rows(), bytes }) };
}

function sessionText(s: SessionSummary, summary: string): string {
  const lines = [summary];
  if (s.goal) lines.push(`Goal: ${s.goal}`);
  if (s.outcome) lines.push(`Outcome: ${s.outcome}`);
  const list = (title: string, items: string[]) => {
    if (items.length > 0) lines.push(`${title}:`, ...items.map((item) => `  - ${item}`));
  };
  list('Decisions', s.decisions);
  list(
    'Files',
    s.filesTouched.map((f) => `${f.path} (${f.mentions})`),
  );
  list('Commands', s.commands);
  list(
    'Errors',
    s.errors.map((e) => `${e.line} (×${e.count})`),
  );
  list('Open items', s.openItems);
  return lines.join('\n');
}

function activityText(a: ActivitySummary, summary: string): string {
  const rows = a.perDay.map((d) => [d.day, d.sessions, d.messages, d.reflections, d.deadLetters]);
  const roles = Object.entries(a.messagesByRole)
    .map(([role, n]) => `${role} ${n}`)
    .join(', ');
  return [
    summary,
    align([['day', 'sessions', 'messages', 'reflections', 'dead letters'], ...rows]),
    `Messages by role: ${roles}.`,
    a.dataAsOf ? `Data as of ${a.dataAsOf}.` : 'The analytics sync has not caught up yet.',
  ].join('\n');
}

function insightsText(i: Insights, summary: string): string {
  const lines = [summary];
  for (const r of i.recommendations) lines.push(`[${r.priority}] ${r.message}`);
  for (const a of i.anomalies) {
    lines.push(
      `anomaly: ${a.day} ${a.metric} ${a.value} (${a.direction}, baseline median ${a.baselineMedian}, z ${a.robustZ})`,
    );
  }
  if (i.topics.length > 0) lines.push(`Topics: ${i.topics.map((t) => t.term).join(', ')}.`);
  return lines.join('\n');
}

function tableText(r: AnalyticsQueryResult, summary: string): string {
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return `${align([r.columns.map((c) => c.name), ...r.rows.map((row) => row.map(cell))])}\n${summary}`;
}

/** Columns padded to their widest cell; numbers right-aligned. */
function align(rows: Array<Array<string | number>>): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, String(c).length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i] ?? 0) : String(c).padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function refused(field: string, message: string): ValidationError {
  return new ValidationError(`Invalid input: ${field}: ${message}`, [{ field, message }]);
}
