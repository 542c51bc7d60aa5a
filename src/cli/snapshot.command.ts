import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { ValidationError } from '../core/errors.js';
import type { SnapshotSummary } from '../domain/snapshot.model.js';
import { KEY_ID_PATTERN } from '../services/snapshots/keyring.js';
import type { SnapshotProgress } from '../services/snapshots/snapshot.service.js';
import { openCliApplication } from './cli-app.js';
import { progressMeter } from './progress.js';

interface Flags {
  mode?: string;
  json?: boolean;
}

const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

function rows(summary: Pick<SnapshotSummary, 'rows'>): string {
  return Object.entries(summary.rows)
    .map(([table, n]) => `${n} ${table}`)
    .join(', ');
}

/** One progress meter per label (table, `verify`, `rotate`) on stderr, redrawn as rows go by. */
function meters(): { onProgress: SnapshotProgress; done: () => void } {
  let label: string | undefined;
  let meter: ReturnType<typeof progressMeter> | undefined;
  return {
    onProgress(next, done, total) {
      if (next !== label) {
        meter?.done();
        label = next;
        meter = progressMeter(next.padEnd(11));
      }
      meter?.update(done, total);
    },
    done: () => meter?.done(),
  };
}

function withCommon(command: Command): Command {
  return command.option('--mode <mode>', 'lite or standard (default from config)').option('--json', 'print JSON');
}

/** `session-buddy snapshot create|list|restore`: snapshots of the primary store (docs/snapshots.md). */
export function snapshotCommand(): Command {
  const snapshot = new Command('snapshot').description(
    'Write, list and restore snapshots of sessions, messages, reflections and patterns (sync.* settings)',
  );

  withCommon(snapshot.command('create'))
    .description('Write a snapshot now, then delete the oldest beyond sync.retention')
    .action(async (flags: Flags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const progress = meters();
        const created = await app.services.snapshots.create(progress.onProgress).finally(progress.done);
        if (flags.json) return print(created);
        const key = created.keyId ? `encrypted with key ${created.keyId}` : 'not encrypted';
        process.stdout.write(`snapshot ${created.id}: ${rows(created)}; ${created.bytes} bytes, ${key}\n`);
        process.stdout.write(`written to ${created.location}\n`);
        if (created.pruned.length > 0) process.stdout.write(`deleted (retention): ${created.pruned.join(', ')}\n`);
      });
    });

  withCommon(snapshot.command('list'))
    .description('List snapshots, newest first')
    .action(async (flags: Flags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const list = await app.services.snapshots.list();
        if (flags.json) return print(list);
        if (list.items.length === 0) return void process.stdout.write(`no snapshots at ${list.location}\n`);
        for (const s of list.items) {
          process.stdout.write(`${s.id}  ${s.createdAt}  ${s.keyId ?? 'plain'}  ${s.bytes} bytes  ${rows(s)}\n`);
        }
      });
    });

  withCommon(snapshot.command('restore'))
    .description('Restore a snapshot into an EMPTY database (refused otherwise); embeddings are queued again')
    .argument('<id>', 'snapshot id (from `snapshot list`)')
    .action(async (id: string, flags: Flags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const progress = meters();
        const report = await app.services.snapshots.restore(id, progress.onProgress).finally(progress.done);
        if (flags.json) return print(report);
        process.stdout.write(
          `restored ${report.id}: ${rows(report)}; ${report.embeddingJobs} embedding job(s) queued\n`,
        );
      });
    });

  return snapshot;
}

/** `session-buddy keys rotate|generate`: the snapshot encryption keys (sync.encryptionKeys). */
export function keysCommand(): Command {
  const keys = new Command('keys').description('Snapshot encryption keys (sync.encryptionKeys, environment only)');

  withCommon(keys.command('rotate'))
    .description(
      'Re-encrypt every snapshot not under the active key (sync.encryptionActiveKey, default the last listed), ' +
        'plain ones included; old key files are deleted once the new manifest names the new files',
    )
    .action(async (flags: Flags, command: Command) => {
      await openCliApplication(command, flags.mode, async (app) => {
        const progress = meters();
        const report = await app.services.snapshots.rotate(progress.onProgress).finally(progress.done);
        if (flags.json) return print(report);
        process.stdout.write(
          `key ${report.activeKeyId}: ${report.rotated.length} snapshot(s) re-encrypted (${report.files} files), ` +
            `${report.unchanged.length} already under it\n`,
        );
      });
    });

  keys
    .command('generate')
    .description('Print a new random key as `<id>:<base64>`, to add to SESSION_BUDDY_SYNC__ENCRYPTION_KEYS')
    .option('--id <id>', 'key id (default: k<UTC date and time>)')
    .action((flags: { id?: string }) => {
      const id = flags.id ?? `k${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
      if (!KEY_ID_PATTERN.test(id)) {
        throw new ValidationError("--id: must be 1-32 letters, digits, '_' or '-'", [
          { field: 'id', message: 'is not a key id' },
        ]);
      }
      process.stdout.write(`${id}:${randomBytes(32).toString('base64')}\n`);
    });

  return keys;
}
