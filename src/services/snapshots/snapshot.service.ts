import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.js';
import {
  type RestoreReport,
  type RotateReport,
  SNAPSHOT_ID_PATTERN,
  type SnapshotCreated,
  type SnapshotList,
  type SnapshotManifest,
  type SnapshotSummary,
  snapshotManifestSchema,
} from '../../domain/snapshot.model.js';
import { analyticsSyncJob, embedMessagesJobs, embedReflectionJob } from '../../jobs/job-registry.js';
import type { OutboxJob, Store } from '../../repositories/ports.js';
import { SNAPSHOT_TABLES, type SnapshotRow, type SnapshotTable } from '../../repositories/snapshot.port.js';
import type { Keyring } from './keyring.js';
import type { SnapshotStorage } from './snapshot-storage.js';
import { ByteMeter, decodingStages, drain, type Encoding, lineBatches, writeEncoded } from './snapshot-streams.js';

export interface SnapshotServiceOptions {
  storage: SnapshotStorage;
  keyring: Keyring;
  compression: 'gzip' | 'none';
  /** Snapshots kept after each new one. */
  retention: number;
  /** Tenant the restore's analytics catch-up job is queued under. */
  defaultTenant: string;
  /** Rows read or inserted at a time. (Default: 1000) */
  pageSize?: number;
}

/** Progress of a long step: `label` (a table, or `verify`), rows or files done of total. */
export type SnapshotProgress = (label: string, done: number, total: number) => void;

const MANIFEST = 'manifest.json';
const none: SnapshotProgress = () => {};

function snapshotId(now: Date): string {
  const compact = now.toISOString().replace(/[-:.]/g, '');
  return `${compact}-${randomBytes(3).toString('hex')}`;
}

function fileName(id: string, table: SnapshotTable, encoding: Encoding): string {
  return `${id}/${table}.jsonl${encoding.gzip ? '.gz' : ''}${encoding.key ? `.${encoding.key.id}.enc` : ''}`;
}

/**
 * Snapshots of the primary store (sessions, messages, reflections, patterns of every tenant) as JSON lines, one
 * file per table, gzip-compressed and AES-256-GCM encrypted when a key is configured, with a manifest of counts,
 * sizes and sha256 sums; listed, restored into an empty store, pruned to `retention`, and re-encrypted by `rotate`.
 */
export class SnapshotService {
  private readonly pageSize: number;

  constructor(
    private readonly store: Pick<Store, 'snapshots' | 'dialect' | 'outbox'>,
    private readonly options: SnapshotServiceOptions,
  ) {
    this.pageSize = options.pageSize ?? 1000;
  }

  get location(): string {
    return this.options.storage.location;
  }

  private activeKey(): Encoding['key'] {
    const { activeId, keys } = this.options.keyring;
    const bytes = activeId === undefined ? undefined : keys.get(activeId);
    return activeId !== undefined && bytes ? { id: activeId, bytes } : undefined;
  }

  async create(onProgress: SnapshotProgress = none, now = new Date()): Promise<SnapshotCreated> {
    const { storage } = this.options;
    const id = snapshotId(now);
    const encoding: Encoding = { gzip: this.options.compression === 'gzip', key: this.activeKey() };
    const written: string[] = [];
    try {
      const files = await this.store.snapshots.readConsistent(async (reader) => {
        const out: SnapshotManifest['files'] = [];
        for (const table of SNAPSHOT_TABLES) {
          const total = await reader.count(table);
          let rows = 0;
          const pageSize = this.pageSize;
          async function* lines(): AsyncGenerator<Buffer> {
            let after = '';
            for (;;) {
              const page = await reader.page(table, after, pageSize);
              if (page.length === 0) return;
              rows += page.length;
              after = page[page.length - 1]?.id as string;
              onProgress(table, rows, Math.max(total, rows));
              yield Buffer.from(`${page.map((row) => JSON.stringify(row)).join('\n')}\n`);
            }
          }
          const name = fileName(id, table, encoding);
          written.push(name);
          const stored = await writeEncoded(storage, name, Readable.from(lines()), encoding);
          out.push({ table, name, rows, ...stored });
        }
        return out;
      });
      const manifest: SnapshotManifest = {
        format: 'session-buddy-snapshot',
        version: 1,
        id,
        createdAt: now.toISOString(),
        dialect: this.store.dialect,
        compression: this.options.compression,
        encryption: encoding.key ? { algorithm: 'AES-256-GCM', keyId: encoding.key.id } : null,
        files,
      };
      await this.writeManifest(manifest);
      // Pruning comes once the snapshot is complete; its failure must not undo the snapshot.
      return { ...this.summarize(manifest), pruned: await this.prune() };
    } catch (error) {
      // An incomplete snapshot (no manifest) is never listed; its files are removed here so none pile up.
      if (!(await this.exists(id))) await storage.remove(written).catch(() => undefined);
      throw error;
    }
  }

  private async exists(id: string): Promise<boolean> {
    return this.manifest(id).then(
      () => true,
      () => false,
    );
  }

  async list(): Promise<SnapshotList> {
    const manifests = await this.manifests();
    return { items: manifests.map((m) => this.summarize(m)), location: this.location };
  }

  /**
   * Restores snapshot `id` into this store, which must hold no sessions, messages, reflections or patterns. Every
   * file is checked against the manifest (size, sha256) before the first row is written; rows keep their ids,
   * timestamps, seq numbers, metadata and counts. Vectors are not in snapshots: an embedding job is queued for every
   * message and reflection, so the active model embeds them again.
   */
  async restore(id: string, onProgress: SnapshotProgress = none): Promise<RestoreReport> {
    assertSnapshotId(id);
    const counts = await this.store.snapshots.counts();
    const held = SNAPSHOT_TABLES.filter((t) => counts[t] > 0);
    if (held.length > 0) {
      throw new ConflictError(
        `restore needs an empty database, and this one holds ${held.map((t) => `${counts[t]} ${t}`).join(', ')}: ` +
          'a snapshot restores rows with their own ids and seq numbers, which must not meet existing rows',
      );
    }
    const manifest = await this.manifest(id);
    await this.verify(manifest, onProgress);
    const rows: Record<string, number> = {};
    let embeddingJobs = 0;
    for (const file of manifest.files) {
      let done = 0;
      const stages = decodingStages(
        file.name,
        this.options.keyring,
        manifest.encryption !== null,
        manifest.compression === 'gzip',
      );
      await drain(
        await this.options.storage.read(file.name),
        stages,
        lineBatches(this.pageSize, async (lines) => {
          const page = lines.map((line, i) => parseRow(file.name, done + i + 1, line));
          const jobs = followUps(file.table, page);
          embeddingJobs += jobs.length;
          await this.store.snapshots.insert(file.table, page, jobs);
          done += page.length;
          onProgress(file.table, done, file.rows);
        }),
      );
      if (done !== file.rows) {
        throw new ValidationError(`${file.name}: holds ${done} rows, the manifest says ${file.rows}`);
      }
      rows[file.table] = done;
    }
    await this.store.outbox.add([analyticsSyncJob(this.options.defaultTenant, new Date())]);
    return { id, rows, embeddingJobs };
  }

  /** Re-encrypts every snapshot not under the active key (plain ones included), file by file; see docs/snapshots.md. */
  async rotate(onProgress: SnapshotProgress = none): Promise<RotateReport> {
    const key = this.activeKey();
    if (!key) {
      throw new ValidationError('sync.encryptionKeys: no key is configured; keys rotate encrypts to the active key', [
        { field: 'sync.encryptionKeys', message: 'is required to rotate' },
      ]);
    }
    const manifests = await this.manifests();
    const report: RotateReport = { activeKeyId: key.id, rotated: [], unchanged: [], files: 0 };
    const stale = manifests.filter((m) => m.encryption?.keyId !== key.id);
    report.unchanged = manifests.filter((m) => m.encryption?.keyId === key.id).map((m) => m.id);
    let done = 0;
    const total = stale.reduce((n, m) => n + m.files.length, 0);
    for (const manifest of stale) {
      await this.verify(manifest);
      const encoding: Encoding = { gzip: manifest.compression === 'gzip', key };
      const files: SnapshotManifest['files'] = [];
      for (const file of manifest.files) {
        // Decrypt only: the compressed bytes are encrypted again as they are.
        const [decrypt] = decodingStages(file.name, this.options.keyring, manifest.encryption !== null, false);
        const source = await this.options.storage.read(file.name);
        const plain = decrypt ? source.pipe(decrypt) : source;
        if (decrypt) source.on('error', (error) => decrypt.destroy(error));
        const name = fileName(manifest.id, file.table, encoding);
        const stored = await writeEncoded(this.options.storage, name, plain, { gzip: false, key });
        files.push({ ...file, name, ...stored });
        report.files += 1;
        onProgress('rotate', ++done, total);
      }
      // The manifest is the switch: it names the new files once they are all written; the old ones go after.
      await this.writeManifest({ ...manifest, encryption: { algorithm: 'AES-256-GCM', keyId: key.id }, files });
      await this.options.storage.remove(manifest.files.map((f) => f.name));
      report.rotated.push(manifest.id);
    }
    return report;
  }

  /** Checks every file's size and sha256 against the manifest, reading each once. */
  async verify(manifest: SnapshotManifest, onProgress: SnapshotProgress = none): Promise<void> {
    let done = 0;
    for (const file of manifest.files) {
      const meter = new ByteMeter();
      await drain(await this.options.storage.read(file.name), [meter], async (source) => {
        for await (const _ of source);
      });
      const sha256 = meter.digest();
      if (meter.bytes !== file.bytes || sha256 !== file.sha256) {
        throw new ValidationError(
          `${file.name}: damaged (${meter.bytes} bytes, sha256 ${sha256.slice(0, 12)}…; the manifest says ${file.bytes} bytes, ${file.sha256.slice(0, 12)}…)`,
        );
      }
      onProgress('verify', ++done, manifest.files.length);
    }
  }

  async manifest(id: string): Promise<SnapshotManifest> {
    assertSnapshotId(id);
    const source = await this.options.storage.read(`${id}/${MANIFEST}`).catch((error: unknown) => {
      throw error instanceof NotFoundError ? new NotFoundError('snapshot', id) : error;
    });
    const chunks: Buffer[] = [];
    for await (const chunk of source) chunks.push(chunk as Buffer);
    const parsed = snapshotManifestSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    if (!parsed.success || parsed.data.id !== id) throw new ValidationError(`${id}/${MANIFEST}: not a valid manifest`);
    return parsed.data;
  }

  /** Every complete snapshot's manifest, newest first. */
  private async manifests(): Promise<SnapshotManifest[]> {
    const ids = (await this.options.storage.list())
      .map((name) => name.split('/'))
      .filter(([id, file, more]) => more === undefined && file === MANIFEST && SNAPSHOT_ID_PATTERN.test(id ?? ''))
      .map(([id]) => id as string)
      .sort()
      .reverse();
    const manifests: SnapshotManifest[] = [];
    for (const id of ids) manifests.push(await this.manifest(id));
    return manifests;
  }

  private async writeManifest(manifest: SnapshotManifest): Promise<void> {
    const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await this.options.storage.write(`${manifest.id}/${MANIFEST}`, Readable.from([body]));
  }

  /** Deletes the oldest complete snapshots beyond `retention`; returns their ids. */
  private async prune(): Promise<string[]> {
    const old = (await this.manifests()).slice(this.options.retention);
    for (const manifest of old) {
      // The manifest first: a snapshot half deleted is then simply incomplete, never listed.
      await this.options.storage.remove([`${manifest.id}/${MANIFEST}`]);
      await this.options.storage.remove(manifest.files.map((f) => f.name));
    }
    return old.map((m) => m.id);
  }

  private summarize(manifest: SnapshotManifest): SnapshotSummary {
    return {
      id: manifest.id,
      createdAt: manifest.createdAt,
      dialect: manifest.dialect,
      keyId: manifest.encryption?.keyId ?? null,
      rows: Object.fromEntries(manifest.files.map((f) => [f.table, f.rows])),
      bytes: manifest.files.reduce((n, f) => n + f.bytes, 0),
      location: this.location,
    };
  }
}

function assertSnapshotId(id: string): void {
  if (!SNAPSHOT_ID_PATTERN.test(id)) {
    throw new ValidationError(`id: '${id}' is not a snapshot id (see snapshot list)`, [
      { field: 'id', message: 'is not a snapshot id' },
    ]);
  }
}

function parseRow(file: string, line: number, text: string): SnapshotRow {
  try {
    const row = JSON.parse(text) as unknown;
    if (typeof row === 'object' && row !== null && !Array.isArray(row)) return row as SnapshotRow;
  } catch {
    // Reported below.
  }
  throw new ValidationError(`${file}: line ${line} is not a JSON object`);
}

/** The outbox rows restored rows need: vectors are not in snapshots, so the active model embeds them again. */
function followUps(table: SnapshotTable, rows: readonly SnapshotRow[]): OutboxJob[] {
  if (table === 'messages') {
    const byTenant = new Map<string, string[]>();
    for (const row of rows) {
      const tenant = row.tenant_id as string;
      byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), row.id as string]);
    }
    return [...byTenant].flatMap(([tenant, ids]) => embedMessagesJobs(tenant, ids));
  }
  if (table === 'reflections') {
    return rows.map((row) =>
      embedReflectionJob(row.tenant_id as string, { id: row.id as string, contentHash: row.content_hash as string }),
    );
  }
  return [];
}
