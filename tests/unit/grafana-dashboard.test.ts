import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricNamesIn, type Scrape, scrapeLiteMetrics } from '../helpers/metrics-scrape.js';

const DASHBOARD = fileURLToPath(new URL('../../infra/grafana/session-buddy.json', import.meta.url));
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's data source variable, not a JS template
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

interface Target {
  refId?: string;
  expr?: string;
  datasource?: unknown;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: unknown;
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  templating?: { list?: Array<{ name: string; type: string; query?: string }> };
  panels?: Panel[];
}

/** Every panel, rows' nested panels included. */
const allPanels = (panels: Panel[] = []): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels)]);

/** Every `datasource` value anywhere in the JSON, with its path. */
function datasources(node: unknown, path = '$'): Array<{ path: string; value: unknown }> {
  if (Array.isArray(node)) return node.flatMap((v, i) => datasources(v, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) =>
    k === 'datasource' ? [{ path: `${path}.${k}`, value: v }] : datasources(v, `${path}.${k}`),
  );
}

describe('Grafana dashboard (infra/grafana/session-buddy.json)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const panels = allPanels(dashboard.panels);
  const queryPanels = panels.filter((p) => p.type !== 'row');
  let scrape: Scrape;
  beforeAll(async () => {
    scrape = await scrapeLiteMetrics();
  });

  it('has what Grafana import needs: title, uid, a schema version Grafana 10/11 read without migration', () => {
    expect(dashboard.title).toBe('Session-Buddy');
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36); // 36: data source references as {type, uid}
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos, p.title).toBeDefined();
      const { x, w } = p.gridPos as NonNullable<Panel['gridPos']>;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('declares a Prometheus data source variable and uses it everywhere (no hard-coded data source)', () => {
    const variable = dashboard.templating?.list?.find((v) => v.name === 'datasource');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const refs = datasources(dashboard).filter(({ path }) => !path.startsWith('$.annotations'));
    expect(refs.length).toBeGreaterThan(0);
    for (const { path, value } of refs) expect(value, path).toEqual(DATASOURCE);
    for (const p of queryPanels) {
      expect(p.datasource, p.title).toEqual(DATASOURCE);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.datasource, p.title).toEqual(DATASOURCE);
        expect(t.refId, p.title).toMatch(/^[A-Z]$/);
        expect(t.expr, p.title).toBeTruthy();
      }
    }
  });

  it('queries only metrics a real /metrics scrape declares', () => {
    const unknown = queryPanels.flatMap((p) =>
      (p.targets ?? []).flatMap((t) =>
        metricNamesIn(t.expr ?? '')
          .filter((name) => !scrape.names.has(name))
          .map((name) => `${p.title}: ${name}`),
      ),
    );
    expect(unknown).toEqual([]);
  });

  it('covers API, queues, dead letters, outbox, breakers, embeddings, analytics freshness and memory', () => {
    const read = new Set(queryPanels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNamesIn(t.expr ?? ''))));
    for (const name of [
      'session_buddy_http_requests_total',
      'session_buddy_http_request_duration_seconds_bucket',
      'session_buddy_queue_jobs',
      'session_buddy_job_outcomes_total',
      'session_buddy_dead_letters',
      'session_buddy_outbox_lag_seconds',
      'session_buddy_circuit_breaker_state',
      'session_buddy_embedding_texts_total',
      'session_buddy_analytics_freshness_lag_seconds',
      'session_buddy_process_resident_memory_bytes',
    ]) {
      expect(read.has(name), name).toBe(true);
    }
  });
});
