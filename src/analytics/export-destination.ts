import { link, lstat, mkdir, realpath, rename, unlink } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { ConflictError, ValidationError } from '../core/errors.js';

/** Where an export with a `destination` is written: the real file path and its (real) directory. */
export interface ResolvedDestination {
  file: string;
  directory: string;
}

function refused(message: string): ValidationError {
  return new ValidationError(`Invalid input: destination: ${message}`, [{ field: 'destination', message }]);
}

/** The export directory as a real absolute path, created when missing. */
export async function exportRoot(exportDir: string): Promise<string> {
  await mkdir(exportDir, { recursive: true });
  return realpath(exportDir);
}

/**
 * Resolves a caller's `destination` inside the export directory `root` (a real path), refusing what could land
 * elsewhere or clobber something: absolute paths, `..`, NUL, hidden names, directories that do not exist or
 * whose real path (symbolic links followed) leaves `root`, a target that is a symbolic link or not a regular
 * file, and an existing file unless `overwrite` (409).
 */
export async function resolveDestination(
  root: string,
  destination: string,
  overwrite: boolean,
): Promise<ResolvedDestination> {
  if (destination.includes('\u0000')) throw refused('must not contain a NUL character');
  if (isAbsolute(destination) || /^[a-zA-Z]:/.test(destination) || /^[\\/]/.test(destination)) {
    throw refused('must be a path relative to the export directory (analytics.exportDir)');
  }
  const segments = destination.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw refused("must not contain '..'");
  const name = segments.pop();
  if (name === undefined) throw refused('must name a file');
  if (name.startsWith('.')) throw refused('must not name a hidden file (starting with a dot)');
  if ([...segments, name].some((s) => Buffer.byteLength(s) > 255)) throw refused('has a name over 255 bytes');
  let directory: string;
  try {
    directory = await realpath(join(root, ...segments));
  } catch {
    throw refused(`directory '${segments.join('/')}' does not exist in the export directory`);
  }
  if (directory !== root && !directory.startsWith(root + sep)) {
    throw refused('leads out of the export directory (through a symbolic link)');
  }
  const file = join(directory, name);
  const existing = await lstat(file).catch(() => undefined);
  if (existing) {
    if (existing.isSymbolicLink()) throw refused('is a symbolic link');
    if (!existing.isFile()) throw refused('exists and is not a regular file');
    if (!overwrite) {
      throw new ConflictError(`destination '${destination}' already exists; pass overwrite: true to replace it`);
    }
  }
  return { file, directory };
}

/**
 * Moves a complete staging file to `target` in the same directory: replacing it with `overwrite`, else only if
 * `target` still does not exist (a hard link fails when it does; 409).
 */
export async function publishFile(staging: string, target: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await rename(staging, target);
    return;
  }
  try {
    await link(staging, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConflictError('destination already exists; pass overwrite: true to replace it');
    }
    throw error;
  } finally {
    await removeQuietly(staging);
  }
}

/** Deletes a file, ignoring failures (it may be gone already). */
export async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}
