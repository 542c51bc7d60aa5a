import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { Application } from '../app.js';
import { ValidationError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import { parseOperationInput } from '../operations/run-operation.js';
import {
  HISTORY_FORMATS,
  type HistoryFormat,
  type HistoryResult,
  type HistoryTextInput,
} from '../services/history-import.service.js';
import { openCliApplication } from './cli-app.js';
import { countLines, readLines } from './line-files.js';
import { progressMeter } from './progress.js';
import { BAD_INPUT, defined, parseTenant } from './shared.js';

interface CommonFlags {
  project?: string;
  tenant?: string;
  mode?: string;
}

interface ClaudeFlags extends CommonFlags {
  dir: string;
  since?: string;
}

interface FileFlags extends CommonFlags {
  format: HistoryFormat;
  name?: string;
  sourceId?: string;
}

/** Totals over the files of one run. */
interface Totals {
  files: number;
  sessions: number;
  newSessions: number;
  lines: number;
  created: number;
  existing: number;
  skipped: number;
  failed: number;
}

export function importCommand(): Command {
  const command = new Command('import').description(
    'Import past conversations as sessions: Claude Code transcripts, JSON lines or Markdown chats',
  );

  common(command.command('claude-code'))
    .description(
      'Import every Claude Code transcript under a folder (<dir>/<project>/<session>.jsonl); importing again ' +
        'adds only what is new',
    )
    .option('--dir <dir>', 'folder of Claude Code projects', join(homedir(), '.claude', 'projects'))
    .option('--since <date>', 'only transcripts changed at or after this date (ISO 8601, e.g. 2025-10-01)')
    .action(async (flags: ClaudeFlags, cmd: Command) => {
      const since = sinceOf(flags.since);
      const files = await transcripts(flags.dir, since);
      await openCliApplication(cmd, flags.mode, async (app) => {
        const options = optionsOf(app, { format: 'claude-code', project: flags.project });
        const totals = emptyTotals();
        const meter = progressMeter('importing');
        const started = performance.now();
        let linesBefore = 0;
        const problems: string[] = [];
        for (const file of files) {
          let lastLine = 0;
          const r = await app.services.history.importLines(principalOf(app, flags), () => readLines(file), options, {
            onProgress: (line) => {
              lastLine = line;
              meter.update(totals.files, files.length, `${(linesBefore + line).toLocaleString('en-US')} lines`);
            },
          });
          linesBefore += lastLine;
          add(totals, r);
          // Printed after the meter, which redraws its own line.
          for (const e of r.errors) problems.push(`${file} line ${e.line}: ${e.message}`);
          if (r.errorsOmitted > 0) problems.push(`${file}: … and ${r.errorsOmitted} more errors`);
        }
        meter.update(files.length, files.length, `${linesBefore.toLocaleString('en-US')} lines`);
        meter.done();
        for (const p of problems) process.stderr.write(`${p}\n`);
        process.stdout.write(`${summary(`${files.length} transcripts from ${flags.dir}`, totals, started)}\n`);
        if (totals.failed > 0) process.exitCode = 1;
      });
    });

  common(command.command('file <file>'))
    .description('Import one conversation file as a session')
    .addOption(
      new Option('--format <format>', 'claude-code, jsonl or markdown').choices(HISTORY_FORMATS).makeOptionMandatory(),
    )
    .option('--name <name>', 'name of a new session (default: from the file)')
    .option('--source-id <id>', 'the conversation’s own id, which finds its session again (default: from the file)')
    .action(async (file: string, flags: FileFlags, cmd: Command) => {
      await stat(file).catch(() => {
        throw new Error(`cannot read ${file}`);
      });
      await openCliApplication(cmd, flags.mode, async (app) => {
        const options = optionsOf(app, {
          format: flags.format,
          project: flags.project,
          name: flags.name,
          sourceId: flags.sourceId,
        });
        const bar = progressMeter('importing');
        const total = process.stderr.isTTY ? await countLines(file) : 0;
        const started = performance.now();
        const r = await app.services.history.importLines(principalOf(app, flags), () => readLines(file), options, {
          onProgress: (line) => bar.update(line, total),
        });
        bar.update(total, total);
        bar.done();
        for (const e of r.errors) process.stderr.write(`line ${e.line}: ${e.message}\n`);
        if (r.errorsOmitted > 0) process.stderr.write(`… and ${r.errorsOmitted} more errors\n`);
        const totals = add(emptyTotals(), r);
        const into = r.session ? ` into session ${r.session.id} (${r.session.project}: ${r.session.name})` : '';
        process.stdout.write(`${summary(`${file}${into}`, totals, started)}\n`);
        if (r.failed > 0) process.exitCode = 1;
      });
    });

  return command;
}

function common(command: Command): Command {
  return command
    .option('--project <project>', 'project of the sessions (default: claude-code, the last folder of the cwd)')
    .option('--tenant <tenant>', 'tenant to import into (default: auth.defaultTenant)', parseTenant)
    .option('--mode <mode>', 'lite or standard (default from config)')
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : BAD_INPUT));
}

function principalOf(app: Application, flags: CommonFlags): Principal {
  return { tenantId: flags.tenant ?? app.config.auth.defaultTenant };
}

/** The options as import_history takes them (validated by its schema); the file itself is streamed. */
function optionsOf(app: Application, values: Record<string, unknown>): Omit<HistoryTextInput, 'content'> {
  const { content: _content, ...options } = parseOperationInput<HistoryTextInput>(
    app.operations,
    'import_history',
    defined({ ...values, content: '' }),
  );
  return options;
}

function sinceOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new ValidationError(`Invalid input: since: must be an ISO 8601 date, e.g. 2025-10-01`, [
      { field: 'since', message: 'must be an ISO 8601 date, e.g. 2025-10-01' },
    ]);
  }
  return time;
}

/**
 * The transcripts of a Claude Code projects folder: `<dir>/<project>/*.jsonl`, and `*.jsonl` directly in `dir`
 * (a single project's folder). Deeper folders are not walked. Sorted, so runs are repeatable.
 */
async function transcripts(dir: string, since: number | undefined): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new Error(`cannot read ${dir}`);
  });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name.endsWith('.jsonl')) files.push(path);
    if (!entry.isDirectory()) continue;
    for (const inner of await readdir(path, { withFileTypes: true })) {
      if (inner.isFile() && inner.name.endsWith('.jsonl')) files.push(join(path, inner.name));
    }
  }
  const changed: string[] = [];
  for (const file of files) {
    if (since === undefined || (await stat(file)).mtimeMs >= since) changed.push(file);
  }
  return changed.sort();
}

function emptyTotals(): Totals {
  return { files: 0, sessions: 0, newSessions: 0, lines: 0, created: 0, existing: 0, skipped: 0, failed: 0 };
}

function add(totals: Totals, r: HistoryResult): Totals {
  totals.files++;
  if (r.session) totals.sessions++;
  if (r.session?.created) totals.newSessions++;
  totals.lines += r.lines;
  totals.created += r.created;
  totals.existing += r.existing;
  totals.skipped += r.skipped;
  totals.failed += r.failed;
  return totals;
}

function summary(what: string, t: Totals, started: number): string {
  const seconds = (performance.now() - started) / 1000;
  const rate = seconds > 0 ? ` (${Math.round(t.lines / seconds)} lines/s)` : '';
  return (
    `imported ${what}: ${t.sessions} session${t.sessions === 1 ? '' : 's'} (${t.newSessions} new), ${t.lines} lines, ${t.created} messages ` +
    `created, ${t.existing} already present, ${t.skipped} skipped, ${t.failed} failed in ${seconds.toFixed(1)} s${rate}`
  );
}
