// `npm run docs`: writes the generated pages under docs/ (docs/configuration.md, …) from the registry in
// src/docs/generated-docs.ts. The registry is compiled on its own with esbuild (as scripts/bundle.mjs does for the
// CLI), so regenerating docs needs neither a full build nor a project that type-checks; `npm test` type-checks.
// tests/unit/docs.test.ts renders the same registry from the sources and fails when a committed page differs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'docs', 'generated-docs.mjs');
await build({
  entryPoints: [join(root, 'src', 'docs', 'generated-docs.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const { GENERATED_DOCS } = await import(pathToFileURL(outfile).href);

for (const doc of GENERATED_DOCS) {
  const target = join(root, doc.path);
  const text = await doc.render();
  let current;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) {
    console.log(`${doc.path}: up to date`);
    continue;
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`${doc.path}: written`);
}
