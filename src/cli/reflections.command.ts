import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import type { Application } from '../app.js';
import { ValidationError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import type { Reflection } from '../domain/reflection.model.js';
import type { OperationContext } from '../operations/operation.js';
import { parseOperationInput, runOperation } from '../operations/run-operation.js';
import type { ReflectionService, StoredReflection } from '../services/reflection.service.js';
import {
  EXPORT_FORMATS,
  IMPORT_FORMATS,
  type ImportFormat,
  type ImportResult,
  type ImportTextInput,
  type ReflectionExportQuery,
} from '../services/reflection-transfer.service.js';
import { openCliApplication } from './cli-app.js';
import { countLines, readLines } from './line-files.js';
import { progressBar } from './progress.js';
import { BAD_INPUT, defined, parseTenant } from './shared.js';

type ReflectionStatistics = Awaited<ReturnType<ReflectionService['stats']>>;

interface ImportFlags {
  format: ImportFormat;
  project?: string;
  strict?: boolean;
  tenant?: string;
  mode?: string;
}

interface ExportFlags {
  format: (typeof EXPORT_FORMATS)[number];
  project?: string;
  sessionId?: string;
  tags?: string;
  tagsMode?: string;
  from?: string;
  to?: string;
  out?: string;
  tenant?: string;
  mode?: string;
}

interface OneFlags {
  tenant?: string;
  mode?: string;
  json?: boolean;
}

interface AddFlags extends OneFlags {
  tags?: string;
  project?: string;
  sessionId?: string;
  importance?: number;
}

function principalOf(app: Application, flags: OneFlags): Principal {
  return { tenantId: flags.tenant ?? app.config.auth.defaultTenant };
}

/** Runs a reflection operation as REST and MCP do: the flags are parsed with the operation's schema. */
function run<T>(app: Application, flags: OneFlags, name: string, input: Record<string, unknown>): Promise<T> {
  const context: OperationContext = { principal: principalOf(app, flags), services: app.services };
  return runOperation<T>(app.operations, name, context, input);
}

/** --tenant, --mode and (optionally) --json; a bad flag or refused input exits with BAD_INPUT. */
function one(command: Command, json = true): Command {
  command
    .option('--tenant <tenant>', 'tenant (default: auth.defaultTenant)', parseTenant)
    .option('--mode <mode>', 'lite or standard (default from config)')
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : BAD_INPUT));
  return json ? command.option('--json', 'print JSON') : command;
}

export function reflectionsCommand(): Command {
  const reflections = new Command('reflections').description(
    'Store, read, delete, count, import and export reflections',
  );

  one(reflections.command('add <content>'))
    .description('Store a reflection; an exact repeat returns the one already stored, near duplicates are listed')
    .option('--tags <tags>', 'comma-separated tags')
    .option('--project <project>', 'project (default: default)')
    .option('--session-id <id>', 'the session it came from')
    .option('--importance <n>', '0 to 1 (default 0.5)', (v) => Number(v))
    .action(async (content: string, flags: AddFlags, command: Command) => {
      const input = defined({
        content,
        tags: flags.tags
          ?.split(',')
          .map((t) => t.trim())
          .filter((t) => t !== ''),
        project: flags.project,
        sessionId: flags.sessionId,
        importance: flags.importance,
        // Someone at a terminal wants the verdict now; the model's tens of milliseconds do not matter here.
        waitForNearDuplicates: true,
      });
      await openCliApplication(command, flags.mode, async (app) => {
        const r = await run<StoredReflection>(app, flags, 'store_reflection', input);
        if (flags.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        process.stdout.write(`${r.created ? 'stored' : 'already stored'} ${r.reflection.id}\n`);
        for (const d of r.nearDuplicates) {
          process.stdout.write(`near duplicate ${d.id} (similarity ${d.similarity.toFixed(3)})\n`);
        }
        if (r.created && r.nearDuplicateCheck === 'unavailable') {
          process.stderr.write('note: embedding provider unavailable; near duplicates not checked\n');
        }
      });
    });

  one(reflections.command('get <id>'))
    .description('Show one reflection')
    .action(async (id: string, flags: OneFlags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const r = await run<Reflection>(app, flags, 'get_reflection', { reflectionId: id });
        if (flags.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        process.stdout.write(
          `${[
            `id:          ${r.id}`,
            `project:     ${r.project}`,
            `session:     ${r.sessionId ?? '(none)'}`,
            `tags:        ${r.tags.join(', ') || '(none)'}`,
            `importance:  ${r.importance}`,
            `created:     ${r.createdAt}${r.updatedAt !== r.createdAt ? ` (updated ${r.updatedAt})` : ''}`,
            `content:\n${r.content}`,
          ].join('\n')}\n`,
        );
      });
    });

  one(reflections.command('delete <id>'), false)
    .description('Delete a reflection (and its vectors)')
    .action(async (id: string, flags: OneFlags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        await run(app, flags, 'delete_reflection', { reflectionId: id });
        process.stdout.write(`deleted ${id}\n`);
      });
    });

  one(reflections.command('stats'))
    .description('Count reflections by project, tag and day, and how many have a vector of the active model')
    .option('--project <project>', 'only this project')
    .action(async (flags: OneFlags & { project?: string }, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const s = await run<ReflectionStatistics>(
          app,
          flags,
          'get_reflection_stats',
          defined({ project: flags.project }),
        );
        if (flags.json) return void process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        const top = (counts: Record<string, number>) =>
          Object.entries(counts)
            .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
            .slice(0, 10)
            .map(([name, n]) => `${name} ${n}`)
            .join(', ') || '(none)';
        const embedded = s.embeddings[s.activeModel] ?? 0;
        process.stdout.write(
          `${[
            `reflections: ${s.total}${flags.project ? ` in ${flags.project}` : ''}`,
            `projects:    ${top(s.byProject)}`,
            `tags:        ${top(s.byTag)}`,
            `embedded:    ${embedded} of ${s.total} with ${s.activeModel} (${Math.round(s.coverage * 100)}%)`,
            `latest day:  ${s.byDay[0] ? `${s.byDay[0].period} (${s.byDay[0].count})` : '(none)'}`,
          ].join('\n')}\n`,
        );
      });
    });

  reflections
    .command('import <file>')
    .description('Import reflections from an MCP memory server file (memory-json) or a reflections export (jsonl)')
    .addOption(new Option('--format <format>', 'memory-json or jsonl').choices(IMPORT_FORMATS).makeOptionMandatory())
    .option('--project <project>', "project for every reflection (jsonl: overrides each line's project)")
    .option('--strict', 'reject the whole file, writing nothing, if any line is bad')
    .option('--tenant <tenant>', 'tenant to import into (default: auth.defaultTenant)', parseTenant)
    .option('--mode <mode>', 'lite or standard (default from config)')
    .action(async (file: string, flags: ImportFlags, command: Command) => {
      await access(file).catch(() => {
        throw new Error(`cannot read ${file}`);
      });
      await openCliApplication(command, flags.mode, async (app) => {
        const principal = { tenantId: flags.tenant ?? app.config.auth.defaultTenant };
        // The options as import_memory takes them; the file itself is streamed, not a `content` string.
        const { content: _content, ...options } = parseOperationInput<ImportTextInput>(
          app.operations,
          'import_memory',
          defined({ format: flags.format, project: flags.project, strict: flags.strict === true, content: '' }),
        );
        const bar = progressBar('importing');
        const total = process.stderr.isTTY ? await countLines(file) : 0;
        const started = performance.now();
        const result = await app.services.transfer
          .importLines(principal, () => readLines(file), options, { onProgress: (line) => bar.update(line, total) })
          .catch((error: unknown) => {
            // Strict rejection: list every bad line, not only the three in the message.
            if (error instanceof ValidationError && flags.strict) {
              for (const d of error.details) process.stderr.write(`${d.field?.replace('.', ' ')}: ${d.message}\n`);
            }
            throw error;
          });
        bar.update(total, total);
        bar.done();
        const seconds = (performance.now() - started) / 1000;
        for (const e of result.errors) process.stderr.write(`line ${e.line}: ${e.message}\n`);
        if (result.errorsOmitted > 0) process.stderr.write(`… and ${result.errorsOmitted} more errors\n`);
        process.stdout.write(`${summary(file, result, seconds)}\n`);
        // Partly imported: the summary says what happened; the exit code lets scripts notice.
        if (result.failed > 0) process.exitCode = 1;
      });
    });

  reflections
    .command('export')
    .description('Export reflections, oldest first, as JSON lines or Markdown (to stdout unless --out)')
    .addOption(new Option('--format <format>', 'jsonl or markdown').choices(EXPORT_FORMATS).default('jsonl'))
    .option('--project <project>', 'only this project')
    .option('--session-id <id>', 'only reflections of this session')
    .option('--tags <tags>', 'only reflections with these tags (comma-separated)')
    .addOption(new Option('--tags-mode <mode>', 'any or all of --tags').choices(['any', 'all']))
    .option('--from <time>', 'created at or after (ISO 8601)')
    .option('--to <time>', 'created before (ISO 8601)')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--tenant <tenant>', 'tenant to export (default: auth.defaultTenant)', parseTenant)
    .option('--mode <mode>', 'lite or standard (default from config)')
    .action(async (flags: ExportFlags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const principal = { tenantId: flags.tenant ?? app.config.auth.defaultTenant };
        const { out: file, tenant: _t, mode: _m, ...query } = flags;
        const doc = app.services.transfer.exportReflections(
          principal,
          parseOperationInput<ReflectionExportQuery>(app.operations, 'export_reflections_file', defined(query)),
        );
        const out = file ? createWriteStream(file) : process.stdout;
        await writeAll(out, doc.chunks);
        if (file) {
          out.end();
          await once(out, 'finish');
          process.stderr.write(`wrote ${file}\n`);
        }
      });
    });

  return reflections;
}

async function writeAll(out: Writable, chunks: AsyncIterable<string>): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } catch (error) {
    // The reader went away (`… | head`): stop quietly, like other Unix tools.
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
  }
}

function summary(file: string, r: ImportResult, seconds: number): string {
  const stored = r.created + r.existing + r.failed;
  const rate = seconds > 0 ? ` in ${seconds.toFixed(1)} s (${Math.round(stored / seconds)} reflections/s)` : '';
  return `imported ${file} (${r.format}): ${r.lines} lines, ${r.created} created, ${r.existing} already present, ${r.failed} failed${rate}`;
}
