import type { Config } from '../config/config.schema.js';
import type { Logger } from '../core/logger.js';
import type { QueueBackend } from '../jobs/queue.port.js';
import { InProcessQueueBackend } from './in-process.backend.js';

/**
 * The queue backend for the configured mode: BullMQ on Redis in standard mode, in-process in lite mode.
 * BullMQ is imported on demand so lite start-up never loads it.
 */
export async function createQueueBackend(config: Config, logger: Logger): Promise<QueueBackend> {
  if (config.mode === 'lite') return new InProcessQueueBackend({ policies: config.queue, logger });
  const { BullMqQueueBackend } = await import('./bullmq.backend.js');
  return new BullMqQueueBackend({
    url: config.redis.url,
    prefix: config.redis.prefix,
    policies: config.queue,
    logger,
    lockDurationMs: config.workers.lockDurationMs,
    stalledIntervalMs: config.workers.stalledIntervalMs,
  });
}
