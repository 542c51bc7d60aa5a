import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { metricNamesIn, type Scrape, scrapeLiteMetrics } from '../helpers/metrics-scrape.js';
import { metricLintFindings, promtool } from '../helpers/prometheus.js';

const RULES = fileURLToPath(new URL('../../infra/prometheus/alerts.yml', import.meta.url));
const RULE_TESTS = fileURLToPath(new URL('../../infra/prometheus/alerts.test.yml', import.meta.url));
const RUNBOOKS = fileURLToPath(new URL('../../docs/runbooks.md', import.meta.url));

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
    const { findings, output } = metricLintFindings(scrape.text);
    expect(findings, output).toEqual([]);
  });
});
