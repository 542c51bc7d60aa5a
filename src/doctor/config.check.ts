import type { LoadedConfig } from '../config/config.loader.js';
import { type CheckResult, ok, warn } from './doctor.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** The configuration loaded (else the doctor reports that alone), and settings that work but are risky. */
export function checkConfig(loaded: LoadedConfig): CheckResult[] {
  const { config, settingsDir } = loaded;
  const store = config.database.driver === 'postgres' ? 'PostgreSQL' : 'SQLite';
  const results = [ok('config', `${config.mode} mode, ${store}, settings from ${settingsDir} and SESSION_BUDDY_*`)];
  if (!config.auth.enabled && !LOOPBACK.has(config.server.host)) {
    results.push(
      warn(
        'auth',
        `auth is off and the server listens on ${config.server.host}: whoever reaches the port reads every tenant`,
        'set SESSION_BUDDY_AUTH__ENABLED=true and SESSION_BUDDY_AUTH__SECRET (docs/security.md)',
      ),
    );
  }
  return results;
}
