/**
 * Child process: a bare BullMQ Worker whose processor does nothing, the baseline of the pipeline
 * scenario. It serves no HTTP; the URL it reports is a placeholder.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { serveForBench } from '../server-process.js';

export interface NoopWorkerSpec {
  redisUrl: string;
  prefix: string;
  queue: string;
  concurrency: number;
}

serveForBench<NoopWorkerSpec>(async (spec) => {
  const connection = new Redis(spec.redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(spec.queue, async () => undefined, {
    connection,
    prefix: spec.prefix,
    concurrency: spec.concurrency,
  });
  worker.on('error', (error) => console.error('worker error:', error.message));
  await worker.waitUntilReady();
  return {
    url: `worker://${process.pid}`,
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
});
