import { constants } from 'node:fs';
import { access, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { analyticsPath } from '../analytics/analytics.store.js';
import type { Config } from '../config/config.schema.js';
import { type CheckResult, fail, ok, reason, warn } from './doctor.js';

const MIB = 1024 * 1024;
/** Below this the file may not grow through the next sync or checkpoint. */
const DISK_FAIL_BYTES = 100 * MIB;
const DISK_WARN_BYTES = 1024 * MIB;

/** The nearest folder of `path` that exists (the file and its folder may be created on first start). */
async function existingFolder(path: string): Promise<string> {
  let folder = dirname(resolve(path));
  for (;;) {
    try {
      await access(folder);
      return folder;
    } catch {
      const parent = dirname(folder);
      if (parent === folder) return folder;
      folder = parent;
    }
  }
}

const human = (bytes: number) =>
  bytes >= 1024 * MIB ? `${(bytes / (1024 * MIB)).toFixed(1)} GiB` : `${Math.round(bytes / MIB)} MiB`;

/** Free space and write access where the local files live: the DuckDB analytics file and, in lite mode, SQLite. */
export async function checkDisk(config: Config): Promise<CheckResult[]> {
  const files: Array<{ what: string; path: string; key: string }> = [
    { what: 'analytics (DuckDB)', path: analyticsPath(config), key: 'SESSION_BUDDY_ANALYTICS__PATH' },
  ];
  if (config.database.driver === 'sqlite') {
    files.push({ what: 'sqlite', path: config.database.sqlitePath, key: 'SESSION_BUDDY_DATABASE__SQLITE_PATH' });
  }
  const results: CheckResult[] = [];
  for (const { what, path, key } of files) {
    const name = `disk: ${what}`;
    if (path === ':memory:') {
      results.push(ok(name, 'in memory, no file'));
      continue;
    }
    try {
      const folder = await existingFolder(path);
      try {
        await access(folder, constants.W_OK);
      } catch {
        results.push(fail(name, `${folder} is not writable (for ${path})`, `make it writable, or set ${key}`));
        continue;
      }
      const fs = await statfs(folder);
      const free = fs.bavail * fs.bsize;
      const detail = `${human(free)} free at ${folder} (for ${path})`;
      const fix = `free space there, or set ${key} to a roomier volume`;
      results.push(
        free < DISK_FAIL_BYTES
          ? fail(name, detail, fix)
          : free < DISK_WARN_BYTES
            ? warn(name, detail, fix)
            : ok(name, detail),
      );
    } catch (error) {
      results.push(fail(name, `${path}: ${reason(error)}`, `check the path, or set ${key}`));
    }
  }
  return results;
}
