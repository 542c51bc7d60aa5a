// Writes the generated pages under docs/ (docs/configuration.md, …) from the compiled registry in
// dist/src/docs/generated-docs.js: `npm run docs` compiles first. tests/unit/docs.test.ts renders the same
// registry from the sources and fails when a committed page differs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { GENERATED_DOCS } = await import(new URL('../dist/src/docs/generated-docs.js', import.meta.url).href);

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
