import type Database from 'better-sqlite3';

/** The open better-sqlite3 database every SQLite repository prepares its statements on. */
export type Db = Database.Database;

/** A vector as the BLOB sqlite-vec reads. */
export function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** A BLOB read back as a vector. */
export function fromBlob(blob: Buffer): Float32Array {
  // Copy: the blob's memory belongs to SQLite and may not be float-aligned.
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}
