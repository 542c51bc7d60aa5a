import type { Command } from 'commander';
import type { Application } from '../app.js';
import { createApplication } from '../app.js';
import { createLogger } from '../core/logger.js';
import { loadFromFlags } from './shared.js';

/** Builds the application for a one-shot command (no workers, no relay), runs `fn`, always closes. */
export async function openCliApplication(
  command: Command,
  mode: string | undefined,
  fn: (app: Application) => Promise<void>,
): Promise<void> {
  const { config } = loadFromFlags(command, { mode });
  const app = await createApplication(config, createLogger(config.logging.level, 'stderr'), {
    role: 'cli',
    defaultMetrics: false,
  });
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}
