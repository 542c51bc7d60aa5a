import type { Readable } from 'node:stream';

/**
 * Where snapshot files live: a folder or an S3-compatible bucket. Names are relative (`<snapshot id>/<file>`); each
 * provider maps them under its own root (`sync.dir`, or `sync.bucket` + `sync.prefix`).
 */
export interface SnapshotStorage {
  /** Where files go, for people: a folder path or `s3://bucket/prefix`. */
  readonly location: string;
  /** Writes the whole stream under `name`; a reader never sees a half-written file under that name. */
  write(name: string, body: Readable): Promise<void>;
  /** The file's bytes; NotFoundError when there is none. */
  read(name: string): Promise<Readable>;
  /** Every file name under the root. */
  list(): Promise<string[]>;
  /** Deletes the named files (missing ones are fine). */
  remove(names: readonly string[]): Promise<void>;
}
