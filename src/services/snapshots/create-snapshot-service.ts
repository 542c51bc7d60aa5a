import type { Config } from '../../config/config.schema.js';
import type { Store } from '../../repositories/ports.js';
import { FilesystemSnapshotStorage } from './filesystem.storage.js';
import { parseKeyring } from './keyring.js';
import { S3SnapshotStorage } from './s3.storage.js';
import { SnapshotService } from './snapshot.service.js';
import type { SnapshotStorage } from './snapshot-storage.js';

/** The configured storage provider (the config schema has already refused gcp and azure). */
export function createSnapshotStorage(sync: Config['sync']): SnapshotStorage & { close?: () => void } {
  if (sync.cloudProvider === 'aws') {
    return new S3SnapshotStorage({
      bucket: sync.bucket as string,
      prefix: sync.prefix,
      region: sync.region,
      endpoint: sync.endpoint,
      forcePathStyle: sync.forcePathStyle,
    });
  }
  return new FilesystemSnapshotStorage(sync.dir);
}

/** The snapshot service of `config.sync`; a bad key list fails here, at start, naming the key. */
export function createSnapshotService(
  config: Pick<Config, 'sync' | 'auth'>,
  store: Pick<Store, 'snapshots' | 'dialect' | 'outbox'>,
): { service: SnapshotService; close: () => void } {
  const keyring = parseKeyring(config.sync.encryptionKeys, config.sync.encryptionActiveKey);
  const storage = createSnapshotStorage(config.sync);
  const service = new SnapshotService(store, {
    storage,
    keyring,
    compression: config.sync.compression,
    retention: config.sync.retention,
    defaultTenant: config.auth.defaultTenant,
  });
  return { service, close: () => storage.close?.() };
}
