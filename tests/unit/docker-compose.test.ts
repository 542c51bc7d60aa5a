import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config.loader.js';
import { promtool } from '../helpers/prometheus.js';

interface Service {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: unknown[];
  volumes?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: number };
}

const COMPOSE = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));
const SECRET_MOUNT = '/run/secrets/metrics_token';
const PROMETHEUS_CONFIG = fileURLToPath(new URL('../../infra/prometheus/prometheus.yml', import.meta.url));
const compose = parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as { services: Record<string, Service> };
const words = (command: Service['command']): string[] =>
  Array.isArray(command) ? command : (command ?? '').split(/\s+/).filter(Boolean);

/** A service's environment as the container sees it: `${VAR:?…}` given a test value, `${VAR:-default}` its default. */
function containerEnv(service: Service | undefined): Record<string, string> {
  const given: Record<string, string> = {
    SESSION_BUDDY_DB_PASSWORD: 'db-password',
    SESSION_BUDDY_AUTH_SECRET: 'a-test-secret-of-at-least-32-characters',
    SESSION_BUDDY_METRICS_TOKEN: 'a-metrics-token-for-prometheus-32-chars-long',
  };
  return Object.fromEntries(
    Object.entries(service?.environment ?? {}).map(([key, value]) => [
      key,
      String(value).replace(/\$\{(\w+)(?::\?[^}]*|:-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
        const v = given[name] ?? fallback;
        if (v === undefined) throw new Error(`${key} needs ${name}, which this test does not set`);
        return v;
      }),
    ]),
  );
}

// The documented standard stack must consume jobs: the API runs none (workers.inProcess defaults to false).
describe('docker-compose.yml', () => {
  const { worker, 'session-buddy': api, migrate, redis, prometheus, ollama } = compose.services;

  it('has a worker service that runs `worker`, at least 2 replicas, publishing no ports', () => {
    expect(worker).toBeDefined();
    expect(words(worker?.command)[0]).toBe('worker');
    expect(worker?.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(worker?.ports ?? []).toEqual([]);
    expect(Object.keys(worker?.depends_on ?? {}).sort()).toEqual(['migrate', 'redis']);
    expect(worker?.environment?.SESSION_BUDDY_MODE).toBe('standard');
  });

  it('keeps the API and migrations, and the API does not run the workers', () => {
    expect(words(migrate?.command)).toEqual(['migrate']);
    expect(words(api?.command)[0]).toBe('start');
    expect(words(api?.command)).not.toContain('--workers');
    const inProcess = Object.entries(api?.environment ?? {}).filter(([key]) => /WORKERS__IN_?PROCESS/i.test(key));
    expect(inProcess.every(([, value]) => !/^(1|true|yes|on)$/i.test(String(value)))).toBe(true);
    expect(api?.ports).toEqual(['8678:8678']);
  });

  it('gives API, workers and migrate a valid standard configuration with auth on and its secret', () => {
    for (const [name, service] of Object.entries({ api, worker, migrate })) {
      const { config } = loadConfig({ env: containerEnv(service) });
      expect(config.mode, name).toBe('standard');
      expect(config.auth.enabled, name).toBe(true);
      expect(config.auth.secret, name).toBe('a-test-secret-of-at-least-32-characters');
      expect(config.redis.url, name).toBe('redis://redis:6379');
    }
    // Prometheus scrapes the API by its service name.
    expect(loadConfig({ env: containerEnv(api) }).config.server.allowedHosts).toContain('session-buddy');
  });

  it('runs Redis with the append-only file', () => {
    expect(words(redis?.command)).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
  });

  it('runs Prometheus with our alert rules and a scrape config that promtool accepts', () => {
    expect(prometheus?.volumes).toEqual(
      expect.arrayContaining([
        './infra/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './infra/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
      ]),
    );
    // promtool also checks the rule files (alerts.yml, beside it as in the container) and that the bearer file exists:
    // a copy where the compose secret's mount point is a temporary file.
    const dir = mkdtempSync(join(tmpdir(), 'sb-prometheus-'));
    try {
      writeFileSync(join(dir, 'metrics_token'), 'token\n');
      copyFileSync(join(PROMETHEUS_CONFIG, '..', 'alerts.yml'), join(dir, 'alerts.yml'));
      const config = readFileSync(PROMETHEUS_CONFIG, 'utf8').replaceAll(SECRET_MOUNT, join(dir, 'metrics_token'));
      writeFileSync(join(dir, 'prometheus.yml'), config);
      const { status, output } = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
      expect(status, output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const scrape = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{
        job_name: string;
        authorization?: { type: string; credentials_file: string };
        static_configs?: Array<{ targets: string[] }>;
        dns_sd_configs?: unknown[];
      }>;
    };
    // With auth on, /metrics needs a bearer: every job sends metrics.token, which Prometheus gets as a secret.
    for (const job of scrape.scrape_configs) {
      expect(job.authorization, job.job_name).toEqual({ type: 'Bearer', credentials_file: SECRET_MOUNT });
    }
    expect((prometheus as { secrets?: string[] } | undefined)?.secrets).toEqual(['metrics_token']);
    expect(loadConfig({ env: containerEnv(api) }).config.metrics.token).toBe(
      'a-metrics-token-for-prometheus-32-chars-long',
    );
    expect(scrape.rule_files).toEqual(['alerts.yml']);
    expect(scrape.scrape_configs.map((c) => c.job_name)).toEqual(['session-buddy-api', 'session-buddy-worker']);
    expect(scrape.scrape_configs[0]?.static_configs?.[0]?.targets).toEqual(['session-buddy:8678']);
    expect(scrape.scrape_configs[1]?.dns_sd_configs).toEqual([
      expect.objectContaining({ names: ['worker'], port: 8679 }),
    ]);
  });

  it('offers Ollama as an optional profile', () => {
    expect(ollama?.profiles).toEqual(['ollama']);
    expect(loadConfig({ env: containerEnv(worker) }).config.embedding.provider).toBe('local');
  });
});
