import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { SnapshotStorage } from './snapshot-storage.js';

/** Snapshot files in a local folder (`sync.dir`): written to a temporary name, then renamed into place. */
export class FilesystemSnapshotStorage implements SnapshotStorage {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  private path(name: string): string {
    const path = resolve(this.location, name);
    if (!path.startsWith(this.location + sep))
      throw new ValidationError(`snapshot file name '${name}' leaves sync.dir`);
    return path;
  }

  async write(name: string, body: Readable): Promise<void> {
    const path = this.path(name);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await pipeline(body, createWriteStream(temporary, { mode: 0o600 }));
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async read(name: string): Promise<Readable> {
    const path = this.path(name);
    const found = await stat(path).catch(() => undefined);
    if (!found?.isFile()) throw new NotFoundError('snapshot file', name);
    return createReadStream(path);
  }

  async list(): Promise<string[]> {
    const entries = await readdir(this.location, { recursive: true, withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      },
    );
    return entries
      .filter((e) => e.isFile() && !/\.tmp-[0-9a-f]+$/.test(e.name))
      .map((e) => relative(this.location, join(e.parentPath, e.name)).split(sep).join('/'));
  }

  async remove(names: readonly string[]): Promise<void> {
    for (const name of names) await rm(this.path(name), { force: true });
    // Drop snapshot folders left empty.
    for (const folder of new Set(names.map((n) => dirname(this.path(n))))) {
      if (folder !== this.location) await rmdir(folder).catch(() => undefined);
    }
  }
}
