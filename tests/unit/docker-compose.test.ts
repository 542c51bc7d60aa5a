import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: unknown[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
}

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const words = (command: Service['command']): string[] =>
  Array.isArray(command) ? command : (command ?? '').split(/\s+/).filter(Boolean);

// The documented standard stack must consume jobs: the API runs none (workers.inProcess defaults to false).
describe('docker-compose.yml', () => {
  const { worker, 'session-buddy': api, migrate } = compose.services;

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
});
