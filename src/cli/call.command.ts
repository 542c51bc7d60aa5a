import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Command, Option } from 'commander';
import type { z } from 'zod';
import type { Application } from '../app.js';
import { configSchema } from '../config/config.schema.js';
import { ValidationError } from '../core/errors.js';
import { parseInput } from '../core/validate.js';
import { buildCatalogue } from '../operations/catalogue.js';
import type { Download, Operation } from '../operations/operation.js';
import { admit, findOperation, scopeInput } from '../operations/run-operation.js';
import { openCliApplication } from './cli-app.js';
import { BAD_INPUT, parseTenant } from './shared.js';

/**
 * `session-buddy call <operation> --flag value …`: one subcommand per operation of the catalogue, its flags
 * made from the operation's input schema (kebab-case keys; lists as comma lists; objects as JSON), so every
 * operation a REST route or an MCP tool offers is at hand in a shell too. Prints the result as JSON.
 */
export function callCommand(argv: readonly string[] = process.argv): Command {
  const call = new Command('call')
    .description('Run any operation of the catalogue directly against the configured store (one per MCP tool)')
    .addHelpText('after', '\nEach operation takes --json <object> with the whole input, or one flag per field.');
  // Building the catalogue and a command per operation costs tens of milliseconds: only when `call` is what runs,
  // not on every start-up. Flags do not depend on limits; the limits that apply are the loaded config's (see run).
  if (!runsCall(argv)) return call;
  for (const op of buildCatalogue(configSchema.parse({}).limits)) call.addCommand(operationCommand(op));
  return call;
}

/** Whether the command line runs `call` (or asks for its help): the first word after the program's own options. */
export function runsCall(argv: readonly string[]): boolean {
  const words: string[] = [];
  for (let i = 2; i < argv.length && words.length < 2; i++) {
    const arg = argv[i] as string;
    if (words.length === 0 && arg === '--settings-dir') i++;
    else if (words.length === 0 && arg.startsWith('-')) continue;
    else words.push(arg);
  }
  return words[0] === 'call' || (words[0] === 'help' && words[1] === 'call');
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
      const answer = await callOperation(app, flags.tenant as string | undefined, op.name, raw);
      // A file answer (export_analytics without a destination) goes to stdout as it is produced.
      if ('download' in answer) return writeDownload(answer.download, process.stdout);
      process.stdout.write(`${flags.text ? answer.summary : JSON.stringify(answer.result, null, 2)}\n`);
    });
  });
  return command;
}

/** What an operation answered a CLI call: its result and one-line summary, or a file (Operation.download). */
export type CliAnswer<T = unknown> = { result: T; summary: string } | { download: Download };

/**
 * Runs operation `name` as REST and MCP do, for a CLI command: `raw` is parsed with the operation's schema from the
 * application's own catalogue (so the loaded config's limits apply), the principal is `tenant` or
 * `auth.defaultTenant`, and an operation that can answer with a file (export_analytics without a destination)
 * answers with its stream. Every command that calls operations goes through here.
 */
export async function callOperation<T = unknown>(
  app: Application,
  tenant: string | undefined,
  name: string,
  raw: Record<string, unknown>,
): Promise<CliAnswer<T>> {
  const principal = { tenantId: tenant ?? app.config.auth.defaultTenant };
  const op = findOperation(app.operations, name);
  const context = { principal, services: app.services };
  await admit(op, context);
  const input = await scopeInput(op, context, parseInput(op.input, raw));
  const download = op.download && (await op.download(context, input));
  if (download) return { download };
  const result = (await op.run(context, input)) as T;
  return { result, summary: op.summary(result) };
}

/** Copies a file answer to `out` as it is produced (`out` stays open: stdout). */
export async function writeDownload(download: Download, out: NodeJS.WritableStream): Promise<void> {
  await pipeline(Readable.fromWeb(download.stream as NodeReadableStream<Uint8Array>), out, { end: false });
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
