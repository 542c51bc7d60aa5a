import { Command } from 'commander';
import type { Application } from '../app.js';
import type { Principal } from '../core/principal.js';
import type { Page } from '../domain/common.model.js';
import type { DetectPatternsInput, Pattern } from '../domain/pattern.model.js';
import type { OperationContext } from '../operations/operation.js';
import { parseOperationInput, runOperation } from '../operations/run-operation.js';
import type { DetectionQueued, StoredPattern } from '../services/pattern.service.js';
import { openCliApplication } from './cli-app.js';
import { BAD_INPUT, parseTenant } from './shared.js';

interface CommonFlags {
  mode?: string;
  tenant?: string;
  project?: string;
  json?: boolean;
}

interface FilterFlags extends CommonFlags {
  kind?: string;
  source?: string;
  tag?: string;
  allTags?: boolean;
  limit: number;
}

function common(command: Command): Command {
  return command
    .option('--mode <mode>', 'lite or standard (default from config)')
    .option('--tenant <id>', 'tenant (default: auth.defaultTenant)', parseTenant)
    .option('--project <name>', 'only this project')
    .option('--json', 'print JSON');
}

function withFilters(command: Command): Command {
  return common(command)
    .option('--kind <kind>', 'best-practice, anti-pattern, convention or recurring-error')
    .option('--source <source>', 'manual or detected')
    .option('--tag <tags>', 'comma-separated tags (any of them)')
    .option('--all-tags', 'require every --tag')
    .option('--limit <n>', 'how many (default 20)', (v) => Number(v), 20);
}

interface AddFlags extends CommonFlags {
  kind: string;
  description: string;
  example: string[];
  tags?: string;
}

/** --mode and --tenant for one pattern; a bad flag or refused input exits with BAD_INPUT. */
function onePattern(command: Command): Command {
  return command
    .option('--mode <mode>', 'lite or standard (default from config)')
    .option('--tenant <id>', 'tenant (default: auth.defaultTenant)', parseTenant)
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : BAD_INPUT));
}

function principalOf(app: Application, flags: CommonFlags): Principal {
  return { tenantId: flags.tenant ?? app.config.auth.defaultTenant };
}

/** Runs a pattern operation as REST and MCP do: the flags are parsed with the operation's schema. */
function run<T>(app: Application, flags: CommonFlags, name: string, input: Record<string, unknown>): Promise<T> {
  const context: OperationContext = { principal: principalOf(app, flags), services: app.services };
  return runOperation<T>(app.operations, name, context, input);
}

function query(flags: FilterFlags, q?: string): Record<string, unknown> {
  const out: Record<string, unknown> = { limit: flags.limit };
  if (q !== undefined) out.q = q;
  if (flags.project) out.project = flags.project;
  if (flags.kind) out.kind = flags.kind;
  if (flags.source) out.source = flags.source;
  if (flags.tag) out.tags = flags.tag;
  if (flags.allTags) out.tagsMode = 'all';
  return out;
}

function print(page: Page<Pattern>, json: boolean | undefined): void {
  if (json) return void process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
  if (page.items.length === 0) return void process.stdout.write('no patterns match\n');
  for (const p of page.items) process.stdout.write(`${line(p)}\n`);
  process.stdout.write(`${page.items.length} shown${page.nextCursor ? ' (more: raise --limit)' : ''}\n`);
}

export function patternsCommand(): Command {
  const patterns = new Command('patterns').description(
    'Store, show, delete, list, find and detect patterns (best practices, anti-patterns, conventions, recurring errors)',
  );

  withFilters(patterns.command('list'))
    .description('List patterns, newest first')
    .action(async (flags: FilterFlags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        print(await run<Page<Pattern>>(app, flags, 'find_patterns', query(flags)), flags.json);
      });
    });

  withFilters(patterns.command('find <words...>'))
    .description('Find patterns by words in their name, description and examples, best first')
    .action(async (words: string[], flags: FilterFlags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        print(await run<Page<Pattern>>(app, flags, 'find_patterns', query(flags, words.join(' '))), flags.json);
      });
    });

  onePattern(patterns.command('add <name>'))
    .description('Store a pattern by hand; a name already used in the project returns the existing pattern')
    .requiredOption('--kind <kind>', 'best-practice, anti-pattern, convention or recurring-error')
    .requiredOption('--description <text>', 'what the pattern is and why it matters')
    .option('--example <text>', 'an example (repeat for more)', (v: string, all: string[]) => [...all, v], [])
    .option('--tags <tags>', 'comma-separated tags')
    .option('--project <name>', 'project it applies to (default: the whole tenant)')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: AddFlags, command: Command) => {
      const input: Record<string, unknown> = {
        name,
        kind: flags.kind,
        description: flags.description,
        examples: flags.example,
        ...(flags.tags !== undefined
          ? {
              tags: flags.tags
                .split(',')
                .map((t) => t.trim())
                .filter((t) => t !== ''),
            }
          : {}),
        ...(flags.project !== undefined ? { project: flags.project } : {}),
      };
      await openCliApplication(command, flags.mode, async (app) => {
        const r = await run<StoredPattern>(app, flags, 'store_pattern', input);
        if (flags.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        process.stdout.write(`${r.created ? 'stored' : 'already stored'} ${r.pattern.id}\n`);
      });
    });

  onePattern(patterns.command('get <id>'))
    .description('Show one pattern with its examples and, when detected, its evidence')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: CommonFlags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const p = await run<Pattern>(app, flags, 'get_pattern', { patternId: id });
        if (flags.json) return void process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
        process.stdout.write(`${details(p).join('\n')}\n`);
      });
    });

  onePattern(patterns.command('delete <id>'))
    .description('Delete a pattern (a detected one comes back if a later detection run finds it again)')
    .action(async (id: string, flags: CommonFlags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        await run(app, flags, 'delete_pattern', { patternId: id });
        process.stdout.write(`deleted ${id}\n`);
      });
    });

  common(patterns.command('detect'))
    .description('Queue pattern detection across sessions (or run it here and now with --now)')
    .option('--now', 'run detection in this process and print what it found')
    .action(async (flags: CommonFlags & { now?: boolean }, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const input = flags.project ? { project: flags.project } : {};
        if (flags.now) {
          // Not an operation of its own: detection in this process, with the input of detect_patterns.
          const parsed = parseOperationInput<DetectPatternsInput>(app.operations, 'detect_patterns', input);
          const report = await app.services.patterns.detectNow(principalOf(app, flags), parsed);
          if (flags.json) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          const created = report.patterns.filter((p) => p.created).length;
          process.stdout.write(
            `scanned ${report.scanned.vectors} vectors (${report.model}) and ${report.scanned.errorMessages} messages with errors\n`,
          );
          for (const p of report.patterns) {
            process.stdout.write(
              `${p.id}  ${p.created ? 'new    ' : 'updated'}  ${p.sessionCount} sessions  ${p.name}\n`,
            );
          }
          process.stdout.write(`${report.patterns.length} patterns (${created} new)\n`);
          return;
        }
        const queued = await run<DetectionQueued>(app, flags, 'detect_patterns', input);
        // A CLI process runs no relay. With Redis, publish now; the in-process queue would die with this process,
        // so there the job waits in the outbox for a server or worker using the same database.
        const published = app.jobs.backend.kind === 'bullmq';
        if (published) await app.jobs.relay.flush();
        if (flags.json) return void process.stdout.write(`${JSON.stringify({ ...queued, published }, null, 2)}\n`);
        process.stdout.write(
          `queued detection job ${queued.jobId} on ${queued.queue}${published ? '' : ' (in the outbox; a running server or worker on this database runs it, or use --now)'}\n`,
        );
      });
    });
  return patterns;
}

function details(p: Pattern): string[] {
  const e = p.evidence;
  return [
    `id:          ${p.id}`,
    `name:        ${p.name}`,
    `kind:        ${p.kind} (${p.source})`,
    `project:     ${p.project ?? '(whole tenant)'}`,
    `tags:        ${p.tags.join(', ') || '(none)'}`,
    `created:     ${p.createdAt}${p.updatedAt !== p.createdAt ? ` (updated ${p.updatedAt})` : ''}`,
    ...(e ? [`evidence:    ${e.sessionCount} sessions, ${e.itemCount} items, ${e.firstSeen} .. ${e.lastSeen}`] : []),
    `description:\n${p.description}`,
    ...p.examples.map((x) => `example: ${x}`),
  ];
}

function line(p: Pattern): string {
  const sessions = p.evidence ? `  ${p.evidence.sessionCount} sessions` : '';
  return `${p.id}  ${p.kind}  ${p.source}${sessions}  ${p.project ?? '*'}  ${p.name}`;
}
