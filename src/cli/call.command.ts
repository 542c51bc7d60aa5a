import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Command, Option } from 'commander';
import type { z } from 'zod';
import { configSchema } from '../config/config.schema.js';
import { ValidationError } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import { buildCatalogue } from '../operations/catalogue.js';
import type { Operation } from '../operations/operation.js';
import { findOperation, runOperation } from '../operations/run-operation.js';
import { openCliApplication } from './cli-app.js';
import { BAD_INPUT, parseTenant } from './shared.js';

/**
 * `session-buddy call <operation> --flag value …`: one subcommand per operation of the catalogue, its flags
 * made from the operation's input schema (kebab-case keys; lists as comma lists; objects as JSON), so every
 * operation a REST route or an MCP tool offers is at hand in a shell too. Prints the result as JSON.
 */
export function callCommand(): Command {
  const call = new Command('call')
    .description('Run any operation of the catalogue directly against the configured store (one per MCP tool)')
    .addHelpText('after', '\nEach operation takes --json <object> with the whole input, or one flag per field.');
  // Flags do not depend on limits; the limits that apply are the loaded config's (see run).
  for (const op of buildCatalogue(configSchema.parse({}).limits)) call.addCommand(operationCommand(op));
  return call;
}

type Kind = 'boolean' | 'number' | 'list' | 'json' | 'string';

interface Field {
  key: string;
  kind: Kind;
  /** The flag without `--`: the key in kebab-case, or `input-<key>` where the command's own flags use it (mode). */
  flag: string;
}

/** Flags of the call command itself; an input key spelled the same gets `--input-<key>` instead. */
const OWN_FLAGS = new Set(['mode', 'tenant', 'json', 'text', 'help']);

function operationCommand(op: Operation): Command {
  const command = new Command(op.name.replaceAll('_', '-'))
    .alias(op.name)
    .description(`${op.title}: ${op.description}`)
    .option('--mode <mode>', 'lite or standard (default from config)')
    .option('--tenant <id>', 'tenant (default: auth.defaultTenant)', parseTenant)
    .option('--json <object>', 'the whole input as one JSON object (flags override its fields)')
    .option('--text', 'print the one-line summary instead of JSON')
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : BAD_INPUT));
  const fields = Object.entries(op.input.shape).map(([key, schema]): Field => {
    const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    return { key, kind: kindOf(schema as z.ZodType), flag: OWN_FLAGS.has(kebab) ? `input-${kebab}` : kebab };
  });
  for (const { key, kind, flag } of fields) {
    const description = (op.input.shape[key] as z.ZodType).description ?? key;
    const hint = kind === 'list' ? ' (comma-separated)' : kind === 'json' ? ' (JSON)' : '';
    command.addOption(new Option(kind === 'boolean' ? `--${flag}` : `--${flag} <value>`, `${description}${hint}`));
  }
  command.action(async (flags: Record<string, unknown>, cmd: Command) => {
    const raw = inputOf(flags, fields);
    await openCliApplication(cmd, flags.mode as string | undefined, async (app) => {
      // The loaded config's limits apply, so the operation comes from the application's own catalogue.
      const principal = { tenantId: (flags.tenant as string | undefined) ?? app.config.auth.defaultTenant };
      const current = findOperation(app.operations, op.name);
      const context = { principal, services: app.services };
      // A file answer (export_analytics without a destination) goes to stdout as it is produced.
      const download = current.download && (await current.download(context, parseInput(current.input, raw)));
      if (download) {
        await pipeline(Readable.fromWeb(download.stream as NodeReadableStream<Uint8Array>), process.stdout, {
          end: false,
        });
        return;
      }
      const result = await runOperation(app.operations, op.name, context, raw);
      process.stdout.write(`${flags.text ? current.summary(result) : JSON.stringify(result, null, 2)}\n`);
    });
  });
  return command;
}

function inputOf(flags: Record<string, unknown>, fields: Field[]): Record<string, unknown> {
  const input = flags.json === undefined ? {} : parseJson('--json', flags.json as string);
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw refused('--json', 'must be a JSON object');
  const out = input as Record<string, unknown>;
  for (const { key, kind, flag: name } of fields) {
    const value = flags[name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (value === undefined) continue;
    const flag = `--${name}`;
    if (kind === 'number') out[key] = Number(value);
    else if (kind === 'list')
      out[key] = String(value)
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
    else if (kind === 'json') out[key] = parseJson(flag, value as string);
    else out[key] = value;
  }
  return out;
}

function parseJson(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw refused(flag, `is not valid JSON (${(error as Error).message})`);
  }
}

function refused(field: string, message: string): ValidationError {
  return new ValidationError(`Invalid input: ${field}: ${message}`, [{ field, message }]);
}

/** How a field is typed on a command line, from its schema (under optional/default wrappers and pipes). */
function kindOf(schema: z.ZodType): Kind {
  let s = schema as unknown as { _zod: { def: { type: string; innerType?: unknown; in?: unknown; out?: unknown } } };
  for (;;) {
    const def = s._zod.def;
    if (def.innerType) s = def.innerType as typeof s;
    else if (def.type === 'pipe')
      s = ((def.in as typeof s)._zod.def.type === 'transform' ? def.out : def.in) as typeof s;
    else break;
  }
  const type = s._zod.def.type;
  if (type === 'boolean') return 'boolean';
  if (type === 'number' || type === 'int' || type === 'bigint') return 'number';
  if (type === 'array') return 'list';
  if (type === 'object' || type === 'record' || type === 'union' || type === 'unknown') return 'json';
  return 'string';
}
