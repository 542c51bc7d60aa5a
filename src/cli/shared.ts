import { type Command, InvalidArgumentError } from 'commander';
import { type LoadedConfig, loadConfig } from '../config/config.loader.js';
import { isTenantId, TENANT_ID_RULE } from '../core/tenant.js';

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

/** Commander parser for `--port`: an integer from 0 (any free port) to 65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be an integer from 0 to 65535');
  }
  return port;
}

/** `--tenant`: the tenant id rule of tokens (src/core/tenant.ts), so the CLI cannot reach a tenant no token could. */
export function parseTenant(value: string): string {
  if (!isTenantId(value)) throw new InvalidArgumentError(TENANT_ID_RULE);
  return value;
}

/** The entries whose value is set: an unset flag leaves the operation's default. */
export function defined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}
