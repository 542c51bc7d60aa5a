import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from bench/ or dist/bench/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** bench/results in the source tree (git-ignored), not under dist/. */
export function resultsDir(): string {
  return join(packageRoot(), 'bench', 'results');
}

/** A compiled module next to the caller: `siblingModule(import.meta.url, './servers/x.js')`. */
export function siblingModule(base: string, relative: string): string {
  return fileURLToPath(new URL(relative, base));
}
