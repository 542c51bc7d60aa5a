import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface JobMetrics {
  jobDuration: Histogram<'queue' | 'job'>;
  jobOutcomes: Counter<'queue' | 'job' | 'result'>;
  embeddingDuration: Histogram<'model' | 'result'>;
  embeddingTexts: Counter<'model' | 'result'>;
}

export function createJobMetrics(registry: Registry): JobMetrics {
  return {
    jobDuration: new Histogram({
      name: 'session_buddy_job_duration_seconds',
      help: 'Time spent running one job attempt, by queue and job',
      labelNames: ['queue', 'job'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    jobOutcomes: new Counter({
      name: 'session_buddy_job_outcomes_total',
      help: 'Job attempts by queue, job and result (completed, skipped, gone: subject deleted, retry, deferred, returned: given back at shutdown, failed)',
      labelNames: ['queue', 'job', 'result'],
      registers: [registry],
    }),
    embeddingDuration: new Histogram({
      name: 'session_buddy_embedding_batch_duration_seconds',
      help: 'Embedding provider calls: latency by model and result (ok, error)',
      labelNames: ['model', 'result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    embeddingTexts: new Counter({
      name: 'session_buddy_embedding_texts_total',
      help: 'Texts sent to the embedding provider, by model and result',
      labelNames: ['model', 'result'],
      registers: [registry],
    }),
  };
}

export interface QueueObservables {
  counts(): Promise<Record<string, Record<string, number>>>;
  deadLettersOpen(): Promise<Record<string, number>>;
  outboxBacklog(): Promise<{ pending: number; oldestAgeSeconds: number }>;
  breakerStates(): Record<string, 'closed' | 'open' | 'half-open'>;
  /** This process's role (api, worker, cli): breakers are per process, so their gauge says whose they are. */
  role?: string;
}

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Gauges read at scrape time, so they are always current and cost nothing between scrapes. */
export function registerQueueGauges(registry: Registry, source: QueueObservables): void {
  new Gauge({
    name: 'session_buddy_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, completed, failed)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await source.counts().catch(() => ({}));
      for (const [queue, states] of Object.entries(counts)) {
        for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
      }
    },
  });
  new Gauge({
    name: 'session_buddy_dead_letters',
    help: 'Open dead letters per queue',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [queue, n] of Object.entries(await source.deadLettersOpen().catch(() => ({})))) this.set({ queue }, n);
    },
  });
  new Gauge({
    name: 'session_buddy_outbox_lag_seconds',
    help: 'Age of the oldest job intent not yet published to the queue (0 when none)',
    registers: [registry],
    async collect() {
      const backlog = await source.outboxBacklog().catch(() => undefined);
      if (backlog) this.set(backlog.oldestAgeSeconds);
    },
  });
  new Gauge({
    name: 'session_buddy_outbox_pending',
    help: 'Job intents waiting in the outbox',
    registers: [registry],
    async collect() {
      const backlog = await source.outboxBacklog().catch(() => undefined);
      if (backlog) this.set(backlog.pending);
    },
  });
  new Gauge({
    name: 'session_buddy_circuit_breaker_state',
    help:
      'Circuit breaker state per dependency in this process (role: api or worker; each process has its own ' +
      'breakers): 0 closed, 1 half-open, 2 open',
    labelNames: ['dependency', 'role'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [dependency, state] of Object.entries(source.breakerStates())) {
        this.set({ dependency, role: source.role ?? 'api' }, BREAKER_VALUE[state]);
      }
    },
  });
}
