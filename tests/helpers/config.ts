import type { Config } from '../../src/config/config.schema.js';
import { configSchema } from '../../src/config/config.schema.js';

/** A valid config from schema defaults plus overrides (no files, no env). */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  // The hash provider keeps tests independent of the local model unless a test asks for it; analytics in memory,
  // so standard-mode tests never share the default DuckDB file (data/analytics.duckdb).
  return configSchema.parse({
    logging: { level: 'silent' },
    embedding: { provider: 'hash' },
    analytics: { path: ':memory:' },
    ...overrides,
  });
}
