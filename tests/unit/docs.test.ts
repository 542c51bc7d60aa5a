import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { walkConfig } from '../../src/config/config.keys.js';
import { renderConfigurationDoc } from '../../src/docs/configuration.doc.js';
import { GENERATED_DOCS, GENERATED_HEADER } from '../../src/docs/generated-docs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('generated docs', () => {
  it.each(GENERATED_DOCS.map((doc) => [doc.path, doc] as const))('%s matches its generator', async (path, doc) => {
    const rendered = await doc.render();
    expect(rendered.split('\n')[0]).toBe(GENERATED_HEADER);
    const committed = existsSync(`${root}${path}`) ? readFileSync(`${root}${path}`, 'utf8') : '';
    if (committed !== rendered) expect.fail(`${path} is stale: run npm run docs`);
  });

  it('docs/configuration.md names every key of the config schema, with a description', () => {
    const page = renderConfigurationDoc();
    for (const key of walkConfig().keys) {
      expect(page, key.key).toContain(`| \`${key.key}\` |`);
      expect(key.description, `${key.key} needs .describe() in config.schema.ts`).toBeTruthy();
    }
  });
});
