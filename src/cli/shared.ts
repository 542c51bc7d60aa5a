import type { Command } from 'commander';
import { type LoadedConfig, loadConfig } from '../config/config.loader.js';

/** Exit code for bad flags and input the service refuses (main.ts maps ValidationError to it). */
export const BAD_INPUT = 2;

export interface CommonFlags {
  mode?: string;
  host?: string;
  port?: number;
}

/** Loads config with the global `--settings-dir` and this command's flags as the top layer. */
export function loadFromFlags(command: Command, flags: CommonFlags, extra: Record<string, unknown> = {}): LoadedConfig {
  const globals = command.optsWithGlobals() as { settingsDir?: string };
  const overrides: Record<string, unknown> = { ...extra };
  if (flags.mode !== undefined) overrides.mode = flags.mode;
  if (flags.host !== undefined || flags.port !== undefined) {
    overrides.server = {
      ...(flags.host !== undefined ? { host: flags.host } : {}),
      ...(flags.port !== undefined ? { port: flags.port } : {}),
    };
  }
  return loadConfig({ settingsDir: globals.settingsDir, overrides });
}
