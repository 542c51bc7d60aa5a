import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, runCli, startCli, startWorker } from '../helpers/cli.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';
import { createTestDatabase, REDIS_URL, randomPrefix, type TestDatabase } from '../helpers/pg.js';
import { metricLintFindings, type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';
import { deleteRedisPrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const RULES = fileURLToPath(new URL('../../infra/prometheus/alerts.yml', import.meta.url));
/** Generous: Prometheus scrapes and evaluates every second, but the machine is shared. No timing is asserted. */
const CAP_MS = 120_000;

/**
 * Debian's real Prometheus scrapes a real API and two real workers (built CLI, standard mode, real PostgreSQL and
 * Redis) on loopback, with our unmodified alert rules (infra/prometheus/alerts.yml). A provider that refuses one
 * message (HTTP 400) makes its job fail into dead letters; Prometheus's HTTP API must then show the series and the
 * SessionBuddyDeadLettersGrowing alert pending (its `for: 5m` is kept: pending is the state the rule reaches as soon
 * as its expression holds, firing would need the 5 minutes).
 */
describe('a real Prometheus scrapes the API and two workers and alerts on dead letters', { timeout: 300_000 }, () => {
  const prefix = randomPrefix('prom');
  let db: TestDatabase;
  let provider: FakeEmbeddingServer;
  let api: RunningCli;
  const workers: RunningCli[] = [];
  let prometheus: RunningPrometheus;
  const env = () => ({
    SESSION_BUDDY_MODE: 'standard',
    SESSION_BUDDY_DATABASE__URL: db.url,
    SESSION_BUDDY_REDIS__URL: REDIS_URL,
    SESSION_BUDDY_REDIS__PREFIX: prefix,
    SESSION_BUDDY_AUTH__ENABLED: 'false',
    SESSION_BUDDY_EMBEDDING__PROVIDER: 'ollama',
    SESSION_BUDDY_EMBEDDING__URL: provider.url,
    SESSION_BUDDY_EMBEDDING__MODEL: 'fake-embed',
    SESSION_BUDDY_EMBEDDING__DIMENSION: '16',
  });
  const hostOf = (running: RunningCli) => new URL(running.url).host;

  beforeAll(async () => {
    provider = await startFakeEmbeddingServer({ dimension: 16 });
    db = await createTestDatabase('prom');
    const migrated = runCli(['migrate'], env());
    expect(migrated.status, migrated.stderr).toBe(0);
    api = await startCli([], env());
    workers.push(await startWorker([], env()), await startWorker([], env()));
    prometheus = await startPrometheus({
      ruleFiles: [RULES],
      jobs: [
        { name: 'session-buddy-api', targets: [hostOf(api)] },
        { name: 'session-buddy-worker', targets: workers.map(hostOf) },
      ],
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    for (const worker of workers) await worker.stop();
    await api?.stop();
    await provider?.close();
    await db?.drop();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status, await response.clone().text()).toBeLessThan(300);
    return (await response.json()) as T;
  };
  /** `sum by (label) (expr)` as a plain object, from Prometheus's HTTP API. */
  const byLabel = async (label: string, expr: string): Promise<Record<string, number>> =>
    Object.fromEntries(
      (await prometheus.query(`sum by (${label}) (${expr})`)).map((s) => [s.metric[label], Number(s.value[1])]),
    );

  it('scrapes the three targets: up, one API and two workers consuming the embedding queue', async () => {
    await waitFor(
      'all three targets up',
      async () => {
        const up = await byLabel('job', 'up');
        return up['session-buddy-api'] === 1 && up['session-buddy-worker'] === 2;
      },
      CAP_MS,
    );
    const consuming = await waitFor(
      'worker_consuming from every target',
      async () => {
        const perJob = await byLabel('job', 'session_buddy_worker_consuming{queue="embedding"}');
        return perJob['session-buddy-worker'] === 2 ? perJob : undefined;
      },
      CAP_MS,
    );
    expect(consuming).toEqual({ 'session-buddy-api': 0, 'session-buddy-worker': 2 });
  });

  it('a message the provider refuses becomes a dead letter: the series appear and the alert goes pending', async () => {
    provider.setRejected((text) => text.includes('POISON'));
    const session = await post<{ id: string }>('/v1/sessions', { name: 'scrape test', project: 'prometheus' });
    await post(`/v1/sessions/${session.id}/messages`, { role: 'user', content: 'a fine message' });
    await post(`/v1/sessions/${session.id}/messages`, { role: 'user', content: 'a POISON pill' });

    await waitFor(
      'session_buddy_dead_letters{queue="embedding"} in Prometheus',
      async () => (await prometheus.query('max(session_buddy_dead_letters{queue="embedding"}) >= 1')).length === 1,
      CAP_MS,
    );
    const failed = await waitFor(
      'failed job outcomes in Prometheus',
      async () => (await byLabel('queue', 'session_buddy_job_outcomes_total{result="failed"}')).embedding,
      CAP_MS,
    );
    expect(failed).toBeGreaterThanOrEqual(1);
    const embedded = await waitFor(
      'texts sent to the provider',
      async () => (await byLabel('job', 'session_buddy_embedding_texts_total'))['session-buddy-worker'],
      CAP_MS,
    );
    expect(embedded).toBeGreaterThanOrEqual(1);
    // The API's own series, for the REST calls above (the API is scraped on its own schedule: wait for it).
    const requests = await waitFor(
      "the API's request series in Prometheus",
      async () => (await byLabel('job', 'session_buddy_http_requests_total'))['session-buddy-api'],
      CAP_MS,
    );
    expect(requests).toBeGreaterThanOrEqual(3);

    const alert = await waitFor(
      'SessionBuddyDeadLettersGrowing pending or firing',
      async () =>
        (await prometheus.alerts()).find(
          (a) => a.labels.alertname === 'SessionBuddyDeadLettersGrowing' && ['pending', 'firing'].includes(a.state),
        ),
      CAP_MS,
    );
    expect(alert.labels).toMatchObject({ queue: 'embedding', severity: 'warning' });
  });

  it('label values are bounded: no id of a session, message or job in any series Prometheus stored', async () => {
    const series = await prometheus.query('{__name__=~"session_buddy_.+"}');
    expect(series.length).toBeGreaterThan(0);
    const ids = series.flatMap((s) =>
      Object.entries(s.metric)
        .filter(([, value]) => /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.test(value))
        .map(([label, value]) => `${s.metric.__name__}{${label}="${value}"}`),
    );
    expect(ids).toEqual([]);
    // The REST calls above are counted under their route pattern.
    const routes = await waitFor(
      'the message route in Prometheus',
      async () => {
        const r = await byLabel('route', 'session_buddy_http_requests_total{job="session-buddy-api",method="POST"}');
        return '/v1/sessions/:id/messages' in r ? r : undefined;
      },
      CAP_MS,
    );
    expect(routes['/v1/sessions/:id/messages']).toBeGreaterThanOrEqual(2);
  });

  it('the real /metrics of the API and of a worker (after the fault) pass promtool check metrics', async () => {
    for (const target of [api, workers[0] as RunningCli]) {
      const text = await (await fetch(`${target.url}/metrics`)).text();
      const { findings, output } = metricLintFindings(text);
      expect(findings, output).toEqual([]);
    }
  });
});
