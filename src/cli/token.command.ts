import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../core/errors.js';
import { AuthService } from '../services/auth.service.js';
import { BAD_INPUT, loadFromFlags, parseTenant } from './shared.js';

interface TokenFlags {
  subject: string;
  tenant: string;
  ttl?: number;
  roles?: string[];
  mode?: string;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
/** Longest lifetime `--ttl` accepts: a token is revoked only by changing the secret. */
const MAX_TTL_SECONDS = 366 * 86_400;

/** `90s`, `30m`, `1h`, `7d` → seconds. */
export function parseTtl(value: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must look like 90s, 30m, 1h or 7d');
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  if (seconds < 1 || seconds > MAX_TTL_SECONDS) throw new InvalidArgumentError('must be from 1s to 366d');
  return seconds;
}

function parseRoles(value: string): string[] {
  const roles = value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (roles.length === 0 || roles.some((r) => /\s/.test(r))) {
    throw new InvalidArgumentError('must be a comma-separated list of names, e.g. admin,operator');
  }
  return roles;
}

/**
 * `session-buddy token --subject S --tenant T [--ttl 1h] [--roles a,b]`: prints a bearer token signed with the
 * configured `auth.secret`, for operators to hand to a client (`Authorization: Bearer …`, `SESSION_BUDDY_TOKEN`).
 */
export function tokenCommand(): Command {
  return new Command('token')
    .description('Print a signed bearer token (JWT) for a client; needs auth.enabled and auth.secret')
    .requiredOption('--subject <subject>', "who the token is for (the 'sub' claim)")
    .requiredOption('--tenant <tenant>', 'tenant every call made with the token is scoped to', parseTenant)
    .option('--ttl <duration>', 'lifetime: 90s, 30m, 1h, 7d (default: auth.expireMinutes)', parseTtl)
    .option('--roles <roles>', "comma-separated roles (the 'roles' claim)", parseRoles)
    .option('--mode <mode>', 'lite or standard (default from config)')
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : BAD_INPUT))
    .action(async (flags: TokenFlags, command: Command) => {
      const { config } = loadFromFlags(command, flags);
      if (!config.auth.enabled) {
        throw new ConfigError(
          'Invalid configuration: auth.enabled is false, so no token would be checked (set SESSION_BUDDY_AUTH__ENABLED=true and SESSION_BUDDY_AUTH__SECRET)',
        );
      }
      // With auth enabled the config schema already requires auth.secret; AuthService refuses to sign without it.
      const token = await new AuthService(config.auth).issue(flags.subject, flags.tenant, {
        ttlSeconds: flags.ttl,
        roles: flags.roles,
      });
      process.stdout.write(`${token}\n`);
    });
}
