import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { metricNamesIn, type Scrape, scrapeLiteMetrics } from '../helpers/metrics-scrape.js';

const RULES = fileURLToPath(new URL('../../infra/prometheus/alerts.yml', import.meta.url));
const RULE_TESTS = fileURLToPath(new URL('../../infra/prometheus/alerts.test.yml', import.meta.url));
const RUNBOOKS = fileURLToPath(new URL('../../docs/runbooks.md', import.meta.url));

/**
 * prom-client's default metrics that promtool's linter flags (gauges named `_total`); they are the library's names,
 * not ours, so they are the only findings allowed.
 */
const PROM_CLIENT_LINT = new Set([
  'session_buddy_nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'session_buddy_nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'session_buddy_nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
]);

function promtool(args: string[], input?: string) {
  const result = spawnSync('promtool', args, { encoding: 'utf8', input, timeout: 60_000 });
  if (result.error) {
    throw new Error(
      `cannot run promtool (${result.error.message}): install it with infra/scripts/ensure-services.sh ` +
        "(Debian's prometheus package)",
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface Rule {
  alert?: string;
  expr: string;
  annotations?: Record<string, string>;
}

const rules = (): Rule[] =>
  (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

describe('Prometheus alert rules (infra/prometheus/alerts.yml)', () => {
  let scrape: Scrape;
  beforeAll(async () => {
    scrape = await scrapeLiteMetrics();
  });

  it('pass promtool check rules', () => {
    const { status, output } = promtool(['check', 'rules', RULES]);
    expect(status, output).toBe(0);
  });

  it('pass their promtool unit tests (each alert fires on a faulty series, stays quiet on a healthy one)', () => {
    const { status, output } = promtool(['test', 'rules', RULE_TESTS]);
    expect(status, output).toBe(0);
  });

  it('have a unit test for every alert', () => {
    const tested = readFileSync(RULE_TESTS, 'utf8');
    const untested = rules()
      .map((r) => r.alert)
      .filter((name) => name && !new RegExp(`alertname: ${name}$`, 'm').test(tested));
    expect(untested).toEqual([]);
  });

  it('read only metrics a real /metrics scrape declares', () => {
    const unknown = rules().flatMap((r) => metricNamesIn(r.expr).filter((name) => !scrape.names.has(name)));
    expect(unknown).toEqual([]);
  });

  it('link each alert to its own section of docs/runbooks.md', () => {
    const anchors = new Set(
      [...readFileSync(RUNBOOKS, 'utf8').matchAll(/^## (\S+)$/gm)].map((m) => (m[1] as string).toLowerCase()),
    );
    for (const rule of rules()) {
      const name = rule.alert as string;
      expect(rule.annotations?.runbook_url, name).toBe(`docs/runbooks.md#${name.toLowerCase()}`);
      expect(anchors.has(name.toLowerCase()), `docs/runbooks.md has no section "## ${name}"`).toBe(true);
      expect(rule.annotations?.summary, name).toBeTruthy();
    }
  });

  it('a real /metrics scrape passes promtool check metrics, but for prom-client default metric names', () => {
    const { output } = promtool(['check', 'metrics'], scrape.text);
    const findings = output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !PROM_CLIENT_LINT.has(line));
    expect(findings, output).toEqual([]);
  });
});
