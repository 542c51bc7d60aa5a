import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/core/errors.js';
import { SqliteStore } from '../../src/repositories/sqlite/sqlite.store.js';
import { BreakerRegistry } from '../../src/resilience/breaker-registry.js';
import { parseKeyring } from '../../src/services/snapshots/keyring.js';
import { S3SnapshotStorage } from '../../src/services/snapshots/s3.storage.js';
import { SnapshotService } from '../../src/services/snapshots/snapshot.service.js';
import { dumpStore, seedStore } from '../contract/snapshot.contract.js';
import { type LocalS3, startLocalS3 } from '../helpers/s3-server.js';

describe('snapshots on an S3-compatible server (s3rver on loopback)', () => {
  let s3: LocalS3;
  let storage: S3SnapshotStorage;
  const breakers = new BreakerRegistry();

  beforeAll(async () => {
    s3 = await startLocalS3();
    storage = new S3SnapshotStorage({
      bucket: s3.bucket,
      prefix: 'team/snapshots',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      breaker: breakers.get('cloud-storage'),
    });
  });
  afterAll(async () => {
    storage.close();
    breakers.shutdown();
    await s3.close();
  });

  it('writes small files whole and big ones as a multipart upload, reads them back, lists and deletes', async () => {
    const small = randomBytes(1000);
    const big = randomBytes(9 * 1024 * 1024 + 123);
    await storage.write('a/small.bin', Readable.from([small]));
    // Many chunks, as a pipeline hands them over: two parts (8 MiB and the rest).
    const chunks = Array.from({ length: Math.ceil(big.length / 65536) }, (_, i) =>
      big.subarray(i * 65536, (i + 1) * 65536),
    );
    await storage.write('a/big.bin', Readable.from(chunks));
    const read = async (name: string) => {
      const parts: Buffer[] = [];
      for await (const chunk of await storage.read(name)) parts.push(chunk as Buffer);
      return Buffer.concat(parts);
    };
    expect((await read('a/small.bin')).equals(small)).toBe(true);
    expect((await read('a/big.bin')).equals(big)).toBe(true);
    expect((await storage.list()).sort()).toEqual(['a/big.bin', 'a/small.bin']);
    await storage.remove(['a/big.bin', 'a/small.bin']);
    expect(await storage.list()).toEqual([]);
    // Missing files are answers, not failures of the server: the breaker stays closed however many are asked for.
    for (let i = 0; i < 5; i++) await expect(storage.read('a/small.bin')).rejects.toBeInstanceOf(NotFoundError);
    expect(breakers.states()['cloud-storage']).toBe('closed');
  });

  it('creates, lists, rotates and restores an encrypted snapshot exactly', async () => {
    const source = new SqliteStore();
    await seedStore(source, 5, 4);
    const service = (store: SqliteStore, keys: string) =>
      new SnapshotService(store, {
        storage,
        keyring: parseKeyring(keys, undefined),
        compression: 'gzip',
        retention: 2,
        defaultTenant: 'default',
      });
    const k1 = `k1:${randomBytes(32).toString('base64')}`;
    const k2 = `k2:${randomBytes(32).toString('base64')}`;
    const created = await service(source, k1).create();
    expect(created.location).toBe(`s3://${s3.bucket}/team/snapshots/`);
    expect((await service(source, k1).list()).items.map((s) => [s.id, s.keyId])).toEqual([[created.id, 'k1']]);
    expect((await storage.list()).sort()).toContain(`${created.id}/manifest.json`);

    const rotated = await service(source, `${k1},${k2}`).rotate();
    expect(rotated).toMatchObject({ activeKeyId: 'k2', rotated: [created.id], files: 4 });
    expect((await storage.list()).filter((n) => n.includes('.k1.'))).toEqual([]);

    const target = new SqliteStore();
    const report = await service(target, k2).restore(created.id);
    expect(report.rows).toEqual({ sessions: 5, messages: 20, reflections: 5, patterns: 2 });
    expect(await dumpStore(target)).toEqual(await dumpStore(source));
    await Promise.all([source.close(), target.close()]);
  });
});
