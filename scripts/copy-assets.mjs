// Copies the non-TypeScript files the runtime reads (SQL migrations) next to the compiled code. The target folders
// are emptied first: a migration renamed or removed in src must not linger in dist and be applied again.
import { cpSync, existsSync, rmSync } from 'node:fs';

for (const dir of ['src/repositories/postgres/migrations', 'src/repositories/sqlite/migrations']) {
  rmSync(`dist/${dir}`, { recursive: true, force: true });
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
