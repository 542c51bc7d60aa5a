import { createHash } from 'node:crypto';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Keyring } from './keyring.js';
import { decryptStream, encryptStream } from './snapshot-crypto.js';
import type { SnapshotStorage } from './snapshot-storage.js';

/** Counts and hashes the bytes passing through: what a manifest records of each stored file. */
export class ByteMeter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export interface Encoding {
  gzip: boolean;
  /** Encrypt under this key (id and bytes); undefined: plain. */
  key?: { id: string; bytes: Buffer };
}

/**
 * Streams `source` through gzip and encryption (as `encoding` says) into `storage` under `name`; returns the stored
 * size and sha256. A storage failure stops the source; nothing is held in memory beyond stream buffers.
 */
export async function writeEncoded(
  storage: SnapshotStorage,
  name: string,
  source: Readable,
  encoding: Encoding,
): Promise<{ bytes: number; sha256: string }> {
  const meter = new ByteMeter();
  const out = new PassThrough();
  const written = storage.write(name, out);
  written.catch((error: Error) => out.destroy(error));
  const stages: NodeJS.ReadWriteStream[] = [];
  if (encoding.gzip) stages.push(createGzip());
  if (encoding.key) stages.push(encryptStream(encoding.key.bytes, encoding.key.id));
  try {
    await pipeline([source, ...stages, meter, out]);
  } catch (error) {
    await written.catch(() => undefined);
    throw error;
  }
  await written;
  return { bytes: meter.bytes, sha256: meter.digest() };
}

/** The stages that turn a stored file back into its JSON lines: decrypt (when encrypted), then gunzip. */
export function decodingStages(name: string, keyring: Keyring, encrypted: boolean, gzip: boolean): Transform[] {
  const stages: Transform[] = [];
  if (encrypted) stages.push(decryptStream((id) => keyring.keys.get(id), name));
  if (gzip) stages.push(createGunzip());
  return stages;
}

/** Calls `onLine` for every line of a byte stream, in order, awaiting each batch of `batchSize` lines. */
export function lineBatches(batchSize: number, onBatch: (lines: string[]) => Promise<void>) {
  return async (source: AsyncIterable<Buffer>): Promise<void> => {
    let rest = '';
    let batch: string[] = [];
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for await (const chunk of source) {
      const text = rest + decoder.decode(chunk, { stream: true });
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') continue;
        batch.push(line);
        if (batch.length >= batchSize) {
          await onBatch(batch);
          batch = [];
        }
      }
    }
    rest += decoder.decode();
    if (rest !== '') batch.push(rest);
    if (batch.length > 0) await onBatch(batch);
  };
}

/** Pipes `source` through `stages` into `consume`; the first error anywhere rejects (and stops the rest). */
export function drain(
  source: Readable,
  stages: readonly Transform[],
  consume: (source: AsyncIterable<Buffer>) => Promise<void>,
): Promise<void> {
  // The typed overloads of pipeline take a fixed number of stages; the variadic form is the same function.
  return (pipeline as unknown as (...streams: unknown[]) => Promise<void>)(source, ...stages, consume);
}
