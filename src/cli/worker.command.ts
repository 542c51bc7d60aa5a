import { Command, InvalidArgumentError } from 'commander';
import { runWorkerProcess } from '../../workers/worker.process.js';
import { assertAuthDecided } from '../config/config.loader.js';
import { createLogger } from '../core/logger.js';
import { loadFromFlags, parsePort } from './shared.js';

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 512) throw new InvalidArgumentError('must be an integer from 1 to 512');
  return n;
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run job workers (embedding, sync, analytics); start as many as you need')
    .option('--mode <mode>', 'lite or standard (default from config; workers as a process make sense in standard)')
    .option('--queues <list>', 'comma-separated queues to consume (default: all)')
    .option('--concurrency <n>', 'jobs in flight per queue (default from config: 64)', parseConcurrency)
    .option('--port <port>', 'port for /healthz, /readyz, /metrics (default from config: 8679)', parsePort)
    .action(
      async (flags: { mode?: string; queues?: string; concurrency?: number; port?: number }, command: Command) => {
        const loaded = loadFromFlags(
          command,
          { mode: flags.mode },
          {
            workers: {
              ...(flags.queues !== undefined ? { queues: flags.queues } : {}),
              ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
              ...(flags.port !== undefined ? { port: flags.port } : {}),
            },
          },
        );
        assertAuthDecided(loaded);
        const { config } = loaded;
        await runWorkerProcess(config, createLogger(config.logging.level));
      },
    );
}
