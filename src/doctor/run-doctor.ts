import type { LoadedConfig } from '../config/config.loader.js';
import { checkConfig } from './config.check.js';
import { checkDatabase } from './database.check.js';
import { checkDisk } from './disk.check.js';
import type { CheckResult } from './doctor.js';
import { checkEmbedding } from './embedding.check.js';
import { checkRedis } from './redis.check.js';

/** Every check of a loaded configuration, in the order of the report; the dependencies are checked side by side. */
export async function runDoctor(loaded: LoadedConfig): Promise<CheckResult[]> {
  const { config } = loaded;
  const checks = await Promise.all([
    checkDatabase(config),
    checkRedis(config),
    checkEmbedding(config),
    checkDisk(config),
  ]);
  return [...checkConfig(loaded), ...checks.flat()];
}
