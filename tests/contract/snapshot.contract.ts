import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../src/core/errors.js';
import { uuidv7 } from '../../src/core/ids.js';
import { contentHash } from '../../src/domain/reflection.model.js';
import type { Store } from '../../src/repositories/ports.js';
import { SNAPSHOT_TABLES, type SnapshotRow, type SnapshotTable } from '../../src/repositories/snapshot.port.js';
import { FilesystemSnapshotStorage } from '../../src/services/snapshots/filesystem.storage.js';
import { parseKeyring } from '../../src/services/snapshots/keyring.js';
import { SnapshotService } from '../../src/services/snapshots/snapshot.service.js';

export interface SnapshotStores {
  /** Opens a new, empty, migrated store. */
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

/** Every row of every snapshot table, as the snapshot reader gives them (all columns). */
export async function dumpStore(store: Store): Promise<Record<SnapshotTable, SnapshotRow[]>> {
  return store.snapshots.readConsistent(async (reader) => {
    const out = {} as Record<SnapshotTable, SnapshotRow[]>;
    for (const table of SNAPSHOT_TABLES) {
      const rows: SnapshotRow[] = [];
      for (let after = ''; ; ) {
        const page = await reader.page(table, after, 7);
        if (page.length === 0) break;
        rows.push(...page);
        after = page[page.length - 1]?.id as string;
      }
      out[table] = rows;
    }
    return out;
  });
}

/** Two tenants' sessions, messages (one with an idempotency key, one back-dated), reflections and patterns. */
export async function seedStore(store: Store, sessions = 3, messagesPer = 5): Promise<void> {
  let clock = Date.parse('2026-03-01T10:00:00.000Z');
  const tick = () => {
    clock += 1_001;
    return new Date(clock).toISOString();
  };
  for (let s = 0; s < sessions; s++) {
    const tenantId = s % 2 === 0 ? 't1' : 't2';
    const session = await store.sessions.create({
      id: uuidv7(),
      tenantId,
      project: `p${s}`,
      name: `session ${s} ✓`,
      status: 'active',
      metadata: { branch: `b${s}`, nested: { z: 1, a: [1, 'x', null] } },
      createdAt: tick(),
    });
    const messages = Array.from({ length: messagesPer }, (_, m) => ({
      id: uuidv7(),
      role: m % 2 === 0 ? ('user' as const) : ('assistant' as const),
      content: `message ${m} of session ${s}\nwith a second line and "quotes"`,
      metadata: m === 0 ? { tool: 'grep' } : {},
      idempotencyKey: m === 1 ? `key-${s}` : null,
      createdAt: m === 2 ? '2020-01-01T00:00:00.000Z' : tick(),
    }));
    await store.messages.append(tenantId, session.id, messages, tick());
    await store.sessions.update(tenantId, session.id, () => ({ status: 'ended', updatedAt: tick() }));
    const content = `Reflection ${s}: prefer small transactions`;
    await store.reflections.create({
      id: uuidv7(),
      tenantId,
      project: `p${s}`,
      sessionId: s === 0 ? null : session.id,
      content,
      contentHash: contentHash(content),
      tags: ['db', `t${s}`],
      importance: 0.7,
      metadata: { source: 'test' },
      createdAt: tick(),
    });
  }
  await store.patterns.create({
    id: uuidv7(),
    tenantId: 't1',
    project: null,
    name: 'Retry with backoff',
    description: 'retry',
    kind: 'best-practice',
    examples: ['one', 'two'],
    tags: ['resilience'],
    metadata: { by: 'hand' },
    createdAt: tick(),
  });
  const vector = new Float32Array([0.1, -0.25, 1 / 3, 0.7]);
  await store.patterns.saveDetected(
    { tenantId: 't1', project: 'p0', fingerprint: 'cluster:message:x', newId: uuidv7(), now: tick() },
    () => ({
      name: 'Recurring theme: pools',
      description: 'pools',
      kind: 'recurring-error',
      examples: ['pool exhausted'],
      tags: ['detected'],
      evidence: {
        detector: 'embedding-cluster',
        itemCount: 3,
        sessionCount: 2,
        sessionIds: ['a', 'b'],
        samples: [{ type: 'message', id: 'm1' }],
        firstSeen: '2026-01-01T00:00:00.000Z',
        lastSeen: '2026-01-02T00:00:00.000Z',
        model: 'hash-64',
      },
      centroid: { model: 'hash-64', vector },
    }),
  );
}

/**
 * Snapshots: what the store gives a snapshot restores into an empty store of either kind exactly (every column of
 * every row), refuses a store with rows, and queues the embedding jobs vectors need.
 */
export function describeSnapshotContract(name: string, setup: () => Promise<SnapshotStores>): void {
  describe(`snapshots (${name})`, () => {
    let stores: SnapshotStores;
    let source: Store;
    let dir: string;
    const keyring = parseKeyring(`old:${Buffer.alloc(32, 1).toString('base64')}`, undefined);
    const service = (store: Store, ring = keyring) =>
      new SnapshotService(store, {
        storage: new FilesystemSnapshotStorage(dir),
        keyring: ring,
        compression: 'gzip',
        retention: 3,
        defaultTenant: 'default',
        pageSize: 4,
      });

    beforeAll(async () => {
      stores = await setup();
      source = await stores.open();
      await seedStore(source);
      dir = mkdtempSync(join(tmpdir(), 'sb-snapshots-'));
    });
    afterAll(async () => {
      await stores.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('restores an encrypted snapshot into an empty store exactly, and queues the embeddings', async () => {
      const progress: string[] = [];
      const created = await service(source).create((label, done, total) => progress.push(`${label} ${done}/${total}`));
      expect(created.rows).toEqual({ sessions: 3, messages: 15, reflections: 3, patterns: 2 });
      expect(created.keyId).toBe('old');
      expect(progress).toContain('messages 15/15');
      const files = readdirSync(join(dir, created.id)).sort();
      expect(files).toEqual([
        'manifest.json',
        'messages.jsonl.gz.old.enc',
        'patterns.jsonl.gz.old.enc',
        'reflections.jsonl.gz.old.enc',
        'sessions.jsonl.gz.old.enc',
      ]);
      // No plaintext in the stored bytes.
      expect(readFileSync(join(dir, created.id, 'messages.jsonl.gz.old.enc')).includes('message 0')).toBe(false);

      const target = await stores.open();
      const report = await service(target).restore(created.id);
      expect(report.rows).toEqual(created.rows);
      expect(await dumpStore(target)).toEqual(await dumpStore(source));
      // Read back through the ordinary repositories too: ids, seq, timestamps, metadata and counts as written.
      const [session] = await source.sessions.list('t1', { sort: 'createdAt', order: 'asc', limit: 1 });
      expect(await target.sessions.get('t1', session?.id as string)).toEqual(session);
      const list = { order: 'asc' as const, limit: 100 };
      expect(await target.messages.list('t1', session?.id as string, list)).toEqual(
        await source.messages.list('t1', session?.id as string, list),
      );
      // 15 messages in pages of 4, one tenant per page part, plus 3 reflections: all queued for embedding.
      const backlog = await target.outbox.backlog();
      expect(report.embeddingJobs).toBeGreaterThanOrEqual(3 + 4);
      expect(backlog.pending).toBe(report.embeddingJobs + 1);
      // A second restore meets the rows of the first.
      await expect(service(target).restore(created.id)).rejects.toThrow(ConflictError);
      await expect(service(target).restore(created.id)).rejects.toThrow(/holds 3 sessions, 15 messages/);
      await target.close();
    });

    it('lists newest first, keeps `retention`, rotates to a new key and restores after rotation', async () => {
      const first = await service(source).list();
      const more = [];
      for (let i = 0; i < 3; i++) more.push(await service(source).create(undefined, new Date(Date.now() + i + 1)));
      const list = await service(source).list();
      expect(list.items.map((s) => s.id)).toEqual(more.map((s) => s.id).reverse());
      expect(more[2]?.pruned).toEqual(first.items.map((s) => s.id));

      const both = parseKeyring(
        `old:${Buffer.alloc(32, 1).toString('base64')},new:${Buffer.alloc(32, 2).toString('hex')}`,
        undefined,
      );
      const rotated = await service(source, both).rotate();
      expect(rotated).toMatchObject({ activeKeyId: 'new', files: 12, unchanged: [] });
      expect(rotated.rotated.sort()).toEqual(list.items.map((s) => s.id).sort());
      expect(await service(source, both).rotate()).toMatchObject({ rotated: [], files: 0 });
      const id = list.items[0]?.id as string;
      expect(readdirSync(join(dir, id)).sort()).toContain('messages.jsonl.gz.new.enc');
      expect(readdirSync(join(dir, id)).some((f) => f.includes('.old.'))).toBe(false);
      // The old key alone no longer reads them.
      const target = await stores.open();
      await expect(service(target).restore(id)).rejects.toThrow(/key 'new' is not in sync.encryptionKeys/);
      expect((await target.snapshots.counts()).sessions).toBe(0);
      const newOnly = parseKeyring(`new:${Buffer.alloc(32, 2).toString('hex')}`, undefined);
      await service(target, newOnly).restore(id);
      expect(await dumpStore(target)).toEqual(await dumpStore(source));
      await target.close();
    });

    it('refuses a damaged file before writing any row', async () => {
      const id = (await service(source).list()).items[0]?.id as string;
      const file = join(dir, id, 'reflections.jsonl.gz.new.enc');
      const bytes = readFileSync(file);
      bytes[bytes.length - 20] = (bytes[bytes.length - 20] as number) ^ 1;
      writeFileSync(file, bytes);
      const target = await stores.open();
      const newOnly = parseKeyring(`new:${Buffer.alloc(32, 2).toString('hex')}`, undefined);
      const failure = service(target, newOnly).restore(id);
      await expect(failure).rejects.toThrow(ValidationError);
      await expect(service(target, newOnly).restore(id)).rejects.toThrow(/reflections.jsonl.gz.new.enc: damaged/);
      expect((await target.snapshots.counts()).sessions).toBe(0);
      await target.close();
    });
  });
}
