import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { NotFoundError } from '../../core/errors.js';
import type { SnapshotStorage } from './snapshot-storage.js';

export interface S3StorageOptions {
  bucket: string;
  /** Key prefix every file goes under ('' for the bucket's root). */
  prefix: string;
  region: string;
  /** An S3-compatible endpoint (MinIO, a local test server); unset: AWS. */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
  forcePathStyle: boolean;
  /** The `cloud-storage` circuit breaker every request goes through. (Default: none) */
  breaker?: { run<T>(fn: () => Promise<T>): Promise<T> };
}

/** Multipart part size: S3 wants at least 5 MiB per part but the last. */
const PART_BYTES = 8 * 1024 * 1024;

/** The SDK, loaded on first use: it is a quarter of the CLI bundle and lite start-up never needs it. */
type S3Sdk = typeof import('@aws-sdk/client-s3');

const isNoSuchKey = (sdk: S3Sdk, error: unknown): boolean =>
  error instanceof sdk.NoSuchKey || (error as { name?: string }).name === 'NoSuchKey';

/**
 * Snapshot files in an S3-compatible bucket. Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, a profile, or an instance role): never from a settings file. A file under one part is one
 * PutObject; a bigger one a multipart upload, streamed a part at a time, which S3 makes visible only when complete.
 */
export class S3SnapshotStorage implements SnapshotStorage {
  readonly location: string;
  private readonly prefix: string;
  private loaded?: Promise<{ sdk: S3Sdk; client: S3Client }>;
  private client?: S3Client;

  constructor(private readonly options: S3StorageOptions) {
    this.prefix = options.prefix === '' || options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`;
    this.location = `s3://${options.bucket}/${this.prefix}`;
  }

  private load(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    this.loaded ??= import('@aws-sdk/client-s3').then((sdk) => {
      this.client = new sdk.S3Client({
        region: this.options.region,
        endpoint: this.options.endpoint,
        forcePathStyle: this.options.forcePathStyle,
      });
      return { sdk, client: this.client };
    });
    return this.loaded;
  }

  /**
   * One request, through the breaker when there is one. A missing object is an answer, not a failure of the
   * dependency: it comes back as undefined and never counts against the breaker.
   */
  private async send<T>(command: (sdk: S3Sdk) => object): Promise<T | undefined> {
    const { sdk, client } = await this.load();
    const call = async (): Promise<T | undefined> => {
      try {
        return (await client.send(command(sdk) as never)) as T;
      } catch (error) {
        if (isNoSuchKey(sdk, error)) return undefined;
        throw error;
      }
    };
    return this.options.breaker ? this.options.breaker.run(call) : call();
  }

  async write(name: string, body: Readable): Promise<void> {
    const Bucket = this.options.bucket;
    const Key = this.prefix + name;
    let part: Buffer[] = [];
    let partBytes = 0;
    let uploadId: string | undefined;
    const parts: Array<{ ETag: string | undefined; PartNumber: number }> = [];
    const sendPart = async () => {
      uploadId ??= (
        await this.send<{ UploadId?: string }>((s3) => new s3.CreateMultipartUploadCommand({ Bucket, Key }))
      )?.UploadId;
      const PartNumber = parts.length + 1;
      const sent = await this.send<{ ETag?: string }>(
        (s3) => new s3.UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body: Buffer.concat(part) }),
      );
      parts.push({ ETag: sent?.ETag, PartNumber });
      part = [];
      partBytes = 0;
    };
    try {
      for await (const chunk of body) {
        part.push(chunk as Buffer);
        partBytes += (chunk as Buffer).length;
        if (partBytes >= PART_BYTES) await sendPart();
      }
      if (uploadId === undefined) {
        await this.send((s3) => new s3.PutObjectCommand({ Bucket, Key, Body: Buffer.concat(part) }));
        return;
      }
      if (partBytes > 0) await sendPart();
      await this.send(
        (s3) =>
          new s3.CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      if (uploadId !== undefined) {
        await this.send((s3) => new s3.AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(
          () => undefined,
        );
      }
      throw error;
    }
  }

  async read(name: string): Promise<Readable> {
    const { sdk, client } = await this.load();
    try {
      const answer = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + name }),
      );
      return answer.Body as Readable;
    } catch (error) {
      if (isNoSuchKey(sdk, error)) {
        throw new NotFoundError('snapshot file', name);
      }
      throw error;
    }
  }

  async list(): Promise<string[]> {
    const names: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.send<{
        Contents?: Array<{ Key?: string }>;
        IsTruncated?: boolean;
        NextContinuationToken?: string;
      }>((s3) => new s3.ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.prefix, ContinuationToken }));
      for (const object of page?.Contents ?? []) if (object.Key) names.push(object.Key.slice(this.prefix.length));
      ContinuationToken = page?.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return names;
  }

  async remove(names: readonly string[]): Promise<void> {
    for (const name of names) {
      await this.send((s3) => new s3.DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + name }));
    }
  }

  close(): void {
    this.client?.destroy();
  }
}
