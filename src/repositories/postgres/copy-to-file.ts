import { closeSync, openSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** Bytes gathered before one write: a few large writes instead of one per row. */
const WRITE_BYTES = 1 << 20;

/**
 * A file written from many small buffers (one per row), gathered into ~1 MB synchronous writes; it tracks the
 * longest single buffer (a row). Synchronous on purpose: no backpressure to wire up (see `pipeToFile`).
 */
class RowFile {
  private readonly fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  longestRowBytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(row: Buffer): void {
    this.pending.push(row);
    this.pendingBytes += row.length;
    if (row.length > this.longestRowBytes) this.longestRowBytes = row.length;
    if (this.pendingBytes >= WRITE_BYTES) this.flush();
  }

  /** Writes what is left and closes the file (also after a failure: `flush: false` only closes). */
  close(flush = true): void {
    try {
      if (flush) this.flush();
    } finally {
      closeSync(this.fd);
    }
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const bytes = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
  }
}

/**
 * Writes a stream of rows (one chunk per row, as PostgreSQL's COPY TO sends them) to `path`; resolves with the
 * longest chunk's bytes once the stream ends. The chunks are consumed as they come, never pausing the stream.
 *
 * postgres.js 3.4 pauses the connection's socket when a row fills the stream's buffer, and resumes it from the
 * stream's `_read`. When the whole COPY (16–60 KB here) arrives in one socket read, before anything reads the
 * stream, the buffer fills, the socket is paused and the stream ends in the same turn; an ended stream never calls
 * `_read` again, so the socket stayed paused and the next query on that connection waited forever
 * (porsager/postgres#1016, unreleased; an end-to-end test hung in `end_session` so). The stream's `_read` is
 * therefore called once more when it ends, which resumes the socket (harmless when it is not paused).
 */
export function pipeToFile(stream: Readable, path: string): Promise<number> {
  const file = new RowFile(path);
  return new Promise<number>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      try {
        file.write(chunk);
      } catch (error) {
        stream.destroy(error as Error);
      }
    });
    stream.once('end', () => {
      (stream as Readable & { _read(size: number): void })._read(0);
      try {
        file.close();
        resolve(file.longestRowBytes);
      } catch (error) {
        reject(error);
      }
    });
    stream.once('error', (error) => {
      try {
        file.close(false);
      } catch {
        // the stream's error is the one to report
      }
      reject(error);
    });
  });
}
