import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
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
}

/** Multipart part size: S3 wants at least 5 MiB per part but the last. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Snapshot files in an S3-compatible bucket. Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, a profile, or an instance role): never from a settings file. A file under one part is one
 * PutObject; a bigger one a multipart upload, streamed a part at a time, which S3 makes visible only when complete.
 */
export class S3SnapshotStorage implements SnapshotStorage {
  readonly location: string;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3StorageOptions) {
    this.prefix = options.prefix === '' || options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`;
    this.location = `s3://${options.bucket}/${this.prefix}`;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
    });
  }

  async write(name: string, body: Readable): Promise<void> {
    const Bucket = this.options.bucket;
    const Key = this.prefix + name;
    let part: Buffer[] = [];
    let partBytes = 0;
    let uploadId: string | undefined;
    const parts: Array<{ ETag: string | undefined; PartNumber: number }> = [];
    const sendPart = async () => {
      uploadId ??= (await this.client.send(new CreateMultipartUploadCommand({ Bucket, Key }))).UploadId;
      const PartNumber = parts.length + 1;
      const sent = await this.client.send(
        new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body: Buffer.concat(part) }),
      );
      parts.push({ ETag: sent.ETag, PartNumber });
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
        await this.client.send(new PutObjectCommand({ Bucket, Key, Body: Buffer.concat(part) }));
        return;
      }
      if (partBytes > 0) await sendPart();
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      if (uploadId !== undefined) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      throw error;
    }
  }

  async read(name: string): Promise<Readable> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + name }),
      );
      return answer.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
        throw new NotFoundError('snapshot file', name);
      }
      throw error;
    }
  }

  async list(): Promise<string[]> {
    const names: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.prefix, ContinuationToken }),
      );
      for (const object of page.Contents ?? []) if (object.Key) names.push(object.Key.slice(this.prefix.length));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return names;
  }

  async remove(names: readonly string[]): Promise<void> {
    for (const name of names) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + name }));
    }
  }

  close(): void {
    this.client.destroy();
  }
}
