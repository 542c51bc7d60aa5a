import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../core/errors.js';
import { isRole, ROLES, type Role } from '../core/roles.js';
import { AuthService } from '../services/auth.service.js';
import { BAD_INPUT, type CommonFlags, loadFromFlags, parseTenant } from './shared.js';

interface TokenFlags extends CommonFlags {
  subject?: string;
  tenant: string;
  ttl?: number;
  roles?: Role[];
  project?: string;
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

/** `writer` or `reader,operator` → roles; any other name is refused. */
function parseRoles(value: string): Role[] {
  const roles = value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (roles.length === 0 || !roles.every(isRole)) {
    throw new InvalidArgumentError(`must be one or more of ${ROLES.join(', ')} (comma-separated)`);
  }
  return roles;
}

function parseProject(value: string): string {
  if (!/^[^\p{Cc}]{1,200}$/u.test(value)) throw new InvalidArgumentError('must be 1 to 200 characters');
  return value;
}

/**
 * `session-buddy token create --tenant T --role R [--ttl 30d] [--project P] [--subject S]`: prints a bearer token
 * signed with the configured `auth.secret`, for operators to hand to a client (`Authorization: Bearer …`,
 * `SESSION_BUDDY_TOKEN`). `session-buddy token --subject S --tenant T [--roles …]` (the first form) still works.
 */
export function tokenCommand(): Command {
  // One command with an optional `create` word rather than a subcommand: commander would give `token`'s options
  // of the same names the values written after `create`.
  return new Command('token')
    .description(
      'Print a signed bearer token (JWT) for a client; needs auth.enabled and auth.secret. ' +
        '`token create --tenant T --role R [--ttl 30d] [--project P] [--subject S]`',
    )
    .argument('[action]', "'create' (optional: `token --subject S --tenant T` is the same)")
    .requiredOption('--tenant <tenant>', 'tenant every call made with the token is scoped to', parseTenant)
    .option(
      '--role <roles>',
      `role(s), comma-separated: ${ROLES.join(', ')} (default: auth.defaultRole; docs/security.md)`,
      parseRoles,
    )
    .option('--roles <roles>', 'the same as --role', parseRoles)
    .option('--subject <subject>', "who the token is for (the 'sub' claim; default with create: a random name)")
    .option('--ttl <duration>', 'lifetime: 90s, 30m, 1h, 30d, at most 366d (default: auth.expireMinutes)', parseTtl)
    .option('--project <project>', "limit the token to one project (the 'project' claim)", parseProject)
    .option('--mode <mode>', 'lite or standard (default from config)')
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : BAD_INPUT))
    .action((action: string | undefined, flags: TokenFlags & { role?: Role[] }, command: Command) => {
      if (action !== undefined && action !== 'create') command.error(`error: unknown action '${action}' (try: create)`);
      // `token create` names a role and may leave the subject to us; the first form names its subject.
      if (action === 'create' && !flags.role && !flags.roles) command.error("error: required option '--role <roles>'");
      if (action === undefined && !flags.subject) command.error("error: required option '--subject <subject>'");
      const roles = flags.role ?? flags.roles;
      return printToken(
        {
          ...flags,
          ...(roles ? { roles } : {}),
          subject: flags.subject ?? `token-${randomBytes(4).toString('hex')}`,
        },
        command,
      );
    });
}

async function printToken(flags: TokenFlags, command: Command): Promise<void> {
  const { config } = loadFromFlags(command, flags);
  if (!config.auth.enabled) {
    throw new ConfigError(
      'Invalid configuration: auth.enabled is false, so no token would be checked (set SESSION_BUDDY_AUTH__ENABLED=true and SESSION_BUDDY_AUTH__SECRET)',
    );
  }
  if (!config.auth.secret) {
    throw new ConfigError(
      'Invalid configuration: auth.secret is required to sign tokens (tokens of a JWKS are issued by their own provider)',
    );
  }
  const token = await new AuthService(config.auth).issue(flags.subject as string, flags.tenant, {
    ttlSeconds: flags.ttl,
    ...(flags.roles ? { roles: flags.roles } : {}),
    ...(flags.project === undefined ? {} : { project: flags.project }),
  });
  process.stdout.write(`${token}\n`);
}
