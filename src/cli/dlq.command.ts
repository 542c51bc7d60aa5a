import { Command, InvalidArgumentError } from 'commander';
import type { Application } from '../app.js';
import { type DeadLetterListQuery, type DeadLetterSelectionInput, toSelection } from '../domain/dead-letter.model.js';
import { describeFailure } from '../jobs/attempt-history.js';
import { parseOperationInput } from '../operations/run-operation.js';
import type { BulkResult, DeadLetterSummary } from '../services/dead-letter.service.js';
import { openCliApplication } from './cli-app.js';
import { progressBar } from './progress.js';

interface FilterFlags {
  mode?: string;
  queue?: string;
  job?: string;
  error?: string;
  olderThan?: number;
  newerThan?: number;
}

/** `30s`, `15m`, `2h`, `7d` → milliseconds. */
export function parseAge(value: string): number {
  const match = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must look like 30s, 15m, 2h or 7d');
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

function withFilters(command: Command): Command {
  return command
    .option('--mode <mode>', 'lite or standard (default from config)')
    .option('--queue <queue>', 'only this queue (embedding, sync, analytics)')
    .option('--job <name>', 'only this job name')
    .option('--error <text>', 'only errors containing this text (case-insensitive)')
    .option('--older-than <age>', 'failed before now minus age (30m, 2h, 7d)', parseAge)
    .option('--newer-than <age>', 'failed after now minus age', parseAge);
}

function filterOf(flags: FilterFlags): Record<string, unknown> {
  const now = Date.now();
  const filter: Record<string, unknown> = {};
  if (flags.queue) filter.queue = flags.queue;
  if (flags.job) filter.jobName = flags.job;
  if (flags.error) filter.error = flags.error;
  if (flags.olderThan !== undefined) filter.failedBefore = new Date(now - flags.olderThan).toISOString();
  if (flags.newerThan !== undefined) filter.failedAfter = new Date(now - flags.newerThan).toISOString();
  return filter;
}

function selectionOf(ids: string[], flags: FilterFlags & { all?: boolean }): Record<string, unknown> {
  const filter = filterOf(flags);
  const picked = [ids.length > 0, flags.all === true, Object.keys(filter).length > 0].filter(Boolean).length;
  if (picked !== 1)
    throw new Error('name dead letters by id, by filter (--queue, --job, --error, --older-than…), or --all');
  if (ids.length > 0) return { ids };
  return flags.all ? { all: true } : { filter };
}

export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('Inspect, retry and discard dead letters (jobs that failed for good)');

  withFilters(dlq.command('list'))
    .description('List dead letters, newest first')
    .option('--status <status>', 'open, retried or discarded (default: open)', 'open')
    .option('--limit <n>', 'how many (default 50, max 500)', (v) => Number(v), 50)
    .option('--json', 'print JSON')
    .action(async (flags: FilterFlags & { status: string; limit: number; json?: boolean }, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const query = parseOperationInput<DeadLetterListQuery>(app.operations, 'list_dead_letters', {
          ...filterOf(flags),
          status: flags.status,
          limit: flags.limit,
        });
        // The operator sees every tenant's dead letters (the operation would see one tenant's).
        const page = await app.services.deadLetters.list('operator', query);
        if (flags.json) return void process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
        if (page.items.length === 0) return void process.stdout.write('no dead letters match\n');
        for (const d of page.items) process.stdout.write(`${line(d)}\n`);
        process.stdout.write(`${page.items.length} of ${page.total} shown\n`);
      });
    });

  dlq
    .command('show <id>')
    .description('Show one dead letter: payload, error, stack, attempts')
    .option('--mode <mode>', 'lite or standard (default from config)')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { mode?: string; json?: boolean }, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const { id: parsed } = parseOperationInput<{ id: string }>(app.operations, 'get_dead_letter', { id });
        const d = await app.services.deadLetters.get('operator', parsed);
        if (flags.json) return void process.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
        process.stdout.write(
          `${[
            `id:          ${d.id}`,
            `status:      ${d.status} (retried ${d.retryCount}×)`,
            `queue/job:   ${d.queue} / ${d.jobName}`,
            `key:         ${d.jobKey}`,
            `tenant:      ${d.tenantId}`,
            `attempts:    ${d.attempts}`,
            `first/last:  ${d.firstFailedAt} / ${d.failedAt}`,
            `error:       ${d.error}`,
            `first cause: ${d.firstCause ?? '(same as error)'}`,
            `history:${d.attemptHistory.length === 0 ? ' (none recorded)' : ''}`,
            ...d.attemptHistory.map((f) => `  #${f.attempt}  ${f.at}  ${describeFailure(f)}`),
            `payload:     ${JSON.stringify(d.payload)}`,
            `stack:\n${d.stack ?? '(none)'}`,
          ].join('\n')}\n`,
        );
      });
    });

  for (const action of ['retry', 'discard'] as const) {
    withFilters(dlq.command(`${action} [ids...]`))
      .description(
        action === 'retry'
          ? 'Put open dead letters back on their queues (by id, by filter, or --all)'
          : 'Discard open dead letters (by id, by filter, or --all); they stay listed as discarded',
      )
      .option('--all', 'every open dead letter')
      .action(async (ids: string[], flags: FilterFlags & { all?: boolean }, command: Command) => {
        const selection = selectionOf(ids, flags);
        await openCliApplication(command, flags.mode, async (app) => {
          const parsed = selectionFor(app, action, selection);
          const bar = progressBar(action === 'retry' ? 'retrying' : 'discarding');
          const result: BulkResult = await app.services.deadLetters[action]('operator', parsed, bar.update);
          bar.done();
          process.stdout.write(
            `${action === 'retry' ? 'retried' : 'discarded'} ${result.changed} of ${result.matched}\n`,
          );
        });
      });
  }
  return dlq;
}

/** The selection parsed with the schema of retry_dead_letters or discard_dead_letters. */
function selectionFor(app: Application, action: 'retry' | 'discard', selection: Record<string, unknown>) {
  return toSelection(
    parseOperationInput<DeadLetterSelectionInput>(app.operations, `${action}_dead_letters`, selection),
  );
}

/** One dead letter on one line: what failed, for whom and on what, the error and its first distinct cause. */
export function line(d: DeadLetterSummary): string {
  const cause = d.firstCause ? `  (first: ${clip(d.firstCause, 80)})` : '';
  return `${d.id}  ${d.failedAt}  ${d.queue}/${d.jobName}  ×${d.attempts}  ${d.status}  ${subjectOf(d)}  ${clip(d.error, 80)}${cause}`;
}

/** `tenant=… session=… message=…`: the tenant, and the session, message or reflection the payload names. */
export function subjectOf(d: Pick<DeadLetterSummary, 'tenantId' | 'payload'>): string {
  const parts = [`tenant=${d.tenantId}`];
  const p = d.payload;
  if (typeof p.sessionId === 'string') parts.push(`session=${p.sessionId}`);
  const messages = Array.isArray(p.messageIds) ? p.messageIds.filter((m) => typeof m === 'string') : [];
  if (typeof p.messageId === 'string') messages.unshift(p.messageId);
  if (messages.length > 0)
    parts.push(`message=${messages[0]}${messages.length > 1 ? ` (+${messages.length - 1})` : ''}`);
  if (typeof p.reflectionId === 'string') parts.push(`reflection=${p.reflectionId}`);
  return parts.join(' ');
}

function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 3)}...` : oneLine;
}
