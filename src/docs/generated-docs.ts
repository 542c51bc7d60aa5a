import { renderConfigurationDoc } from './configuration.doc.js';
import { renderOperationsDoc } from './operations.doc.js';

export { GENERATED_HEADER } from './header.js';

/** A page under docs/ made from code. `render` returns the whole file, header line included. */
export interface GeneratedDoc {
  /** Path relative to the repository root, e.g. `docs/configuration.md`. */
  path: string;
  render(): string | Promise<string>;
}

/**
 * Every generated page. `npm run docs` (scripts/gen-docs.mjs) writes them; tests/unit/docs.test.ts fails when a
 * committed page differs from what its generator renders. To add a page, register one more entry here.
 */
export const GENERATED_DOCS: GeneratedDoc[] = [
  { path: 'docs/configuration.md', render: renderConfigurationDoc },
  { path: 'docs/operations.md', render: renderOperationsDoc },
];
