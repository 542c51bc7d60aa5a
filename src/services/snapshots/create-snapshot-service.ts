import type { Config } from '../../config/config.schema.js';
import type { Store } from '../../repositories/ports.js';
import { type BreakerRegistry, DEFAULT_BREAKER_OPTIONS } from '../../resilience/breaker-registry.js';
import { FilesystemSnapshotStorage } from './filesystem.storage.js';
import { parseKeyring } from './keyring.js';
import { S3SnapshotStorage } from './s3.storage.js';
import { SnapshotService } from './snapshot.service.js';
import type { SnapshotStorage } from './snapshot-storage.js';

/** Name of the circuit breaker around the cloud storage provider (health output, metrics). */
export const CLOUD_STORAGE_DEPENDENCY = 'cloud-storage';

/**
 * The configured storage provider (the config schema has already refused gcp and azure). S3 requests go through the
 * `cloud-storage` breaker; one request (a part of at most 8 MiB) may take 2 minutes before it counts as a failure.
 */
export function createSnapshotStorage(
  sync: Config['sync'],
  breakers?: BreakerRegistry,
): SnapshotStorage & { close?: () => void } {
  if (sync.cloudProvider === 'aws') {
    const options = { ...DEFAULT_BREAKER_OPTIONS, timeoutMs: 120_000, rollingWindowMs: 240_000 };
    return new S3SnapshotStorage({
      breaker: breakers?.get(CLOUD_STORAGE_DEPENDENCY, options),
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
  breakers?: BreakerRegistry,
): { service: SnapshotService; close: () => void } {
  const keyring = parseKeyring(config.sync.encryptionKeys, config.sync.encryptionActiveKey);
  const storage = createSnapshotStorage(config.sync, breakers);
  const service = new SnapshotService(store, {
    storage,
    keyring,
    compression: config.sync.compression,
    retention: config.sync.retention,
    defaultTenant: config.auth.defaultTenant,
  });
  return { service, close: () => storage.close?.() };
}
