import { Command } from 'commander';
import type { Application } from '../app.js';
import type { Principal } from '../core/principal.js';
import type { Page } from '../domain/common.model.js';
import type { Pattern } from '../domain/pattern.model.js';
import { openCliApplication } from './cli-app.js';

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
    .option('--tenant <id>', 'tenant (default: auth.defaultTenant)')
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

function principalOf(app: Application, flags: CommonFlags): Principal {
  return { tenantId: flags.tenant ?? app.config.auth.defaultTenant };
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
    'List, find and detect patterns (best practices, anti-patterns, conventions, recurring errors)',
  );

  withFilters(patterns.command('list'))
    .description('List patterns, newest first')
    .action(async (flags: FilterFlags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        print(await app.services.patterns.find(principalOf(app, flags), query(flags)), flags.json);
      });
    });

  withFilters(patterns.command('find <words...>'))
    .description('Find patterns by words in their name, description and examples, best first')
    .action(async (words: string[], flags: FilterFlags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        print(await app.services.patterns.find(principalOf(app, flags), query(flags, words.join(' '))), flags.json);
      });
    });

  common(patterns.command('detect'))
    .description('Queue pattern detection across sessions (or run it here and now with --now)')
    .option('--now', 'run detection in this process and print what it found')
    .action(async (flags: CommonFlags & { now?: boolean }, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const principal = principalOf(app, flags);
        const input = flags.project ? { project: flags.project } : {};
        if (flags.now) {
          const report = await app.services.patterns.detectNow(principal, input);
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
        const queued = await app.services.patterns.detect(principal, input);
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

function line(p: Pattern): string {
  const sessions = p.evidence ? `  ${p.evidence.sessionCount} sessions` : '';
  return `${p.id}  ${p.kind}  ${p.source}${sessions}  ${p.project ?? '*'}  ${p.name}`;
}
