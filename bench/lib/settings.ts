import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSettingsDir, loadConfig } from '../../src/config/config.loader.js';
import type { Config } from '../../src/config/config.schema.js';

/**
 * Session-Buddy's effective config from the committed settings files and `overrides` only: not a
 * developer's settings/local.yaml, not the shell's SESSION_BUDDY_* variables. Benchmarks measure
 * what ships.
 */
export function committedConfig(overrides: Record<string, unknown>): Config {
  const settingsDir = mkdtempSync(join(tmpdir(), 'sb-bench-settings-'));
  try {
    for (const file of ['session-buddy.yaml', 'lite.yaml', 'standard.yaml']) {
      const source = join(defaultSettingsDir(), file);
      if (existsSync(source)) copyFileSync(source, join(settingsDir, file));
    }
    return loadConfig({ settingsDir, env: {}, overrides }).config;
  } finally {
    rmSync(settingsDir, { recursive: true, force: true });
  }
}

/** Merges plain objects key by key (right wins); anything else is replaced. */
export function mergeConfig(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const current = out[key];
      out[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : (value as unknown);
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Config overrides as SESSION_BUDDY_* variables: { embedding: { batchWaitMs: 0 } } → SESSION_BUDDY_EMBEDDING__BATCH_WAIT_MS=0. */
export function configEnv(config: Record<string, unknown>, path: string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const at = [...path, key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()];
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      Object.assign(env, configEnv(value as Record<string, unknown>, at));
    } else {
      env[`SESSION_BUDDY_${at.join('__')}`] = Array.isArray(value) ? value.join(',') : String(value);
    }
  }
  return env;
}
