import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { testConfig } from './config.js';

export interface Scrape {
  /** The /metrics body as served. */
  text: string;
  /** Every series name the scrape declares (`# TYPE`), with `_bucket`/`_sum`/`_count` for histograms and summaries. */
  names: Set<string>;
}

/**
 * A real /metrics scrape of a lite application with the default process metrics (what `session-buddy start` and
 * `session-buddy worker` register: the metrics do not depend on the role). Gauges without samples (no dead letters,
 * no breaker yet) still declare their `# TYPE`, so the names are complete without driving faults.
 */
export async function scrapeLiteMetrics(): Promise<Scrape> {
  const app = await createApplication(testConfig(), createLogger('silent'), { role: 'api' });
  try {
    const response = await app.http.request('/metrics', { headers: { host: '127.0.0.1:8678' } });
    if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
    const text = await response.text();
    return { text, names: declaredNames(text) };
  } finally {
    await app.close();
  }
}

function declaredNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

/** The `session_buddy_*` metric names a PromQL expression reads (Prometheus's own `up` is not ours). */
export function metricNamesIn(expr: string): string[] {
  return [...new Set(expr.match(/\bsession_buddy_[a-z0-9_]+/g) ?? [])];
}
