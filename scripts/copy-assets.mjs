// Copies the non-TypeScript files the runtime reads (SQL migrations) next to the compiled code.
import { cpSync, existsSync } from 'node:fs';

for (const dir of ['src/repositories/postgres/migrations', 'src/repositories/sqlite/migrations']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
