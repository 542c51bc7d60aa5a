import { Command, InvalidArgumentError, Option } from 'commander';
import { ValidationError } from '../core/errors.js';
import {
  type MixedSearchResult,
  SEARCH_MODES,
  SEARCH_SCOPES,
  type SearchMode,
  type SearchScope,
} from '../domain/search.model.js';
import { openCliApplication } from './cli-app.js';

/** Exit code for input the command cannot use (a bad flag, a query the service refuses). */
const BAD_INPUT = 2;

interface SearchFlags {
  kind: SearchScope;
  searchMode: SearchMode;
  limit: number;
  project?: string;
  tags?: string;
  json?: boolean;
  url?: string;
  mode?: string;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('must be an integer from 1 to 100');
  return n;
}

function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL like http://127.0.0.1:8678');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be http or https');
  return url.toString();
}

export function searchCommand(): Command {
  return new Command('search')
    .description(
      'Search reflections and messages: in the configured store, or on a running server with --url (or $SESSION_BUDDY_URL)',
    )
    .argument('<query>', 'what to look for, in plain words')
    .addOption(new Option('--kind <kind>', 'what to search').choices(SEARCH_SCOPES).default('all'))
    .addOption(new Option('--search-mode <mode>', 'how to rank').choices(SEARCH_MODES).default('hybrid'))
    .option('--limit <n>', 'hits to show, 1 to 100', parseLimit, 10)
    .option('--project <project>', 'only this project')
    .option('--tags <tags>', 'comma-separated tags, any of them (reflections only)')
    .option('--json', 'print the search result as JSON')
    .option(
      '--url <url>',
      'server to ask instead of opening the store; sends $SESSION_BUDDY_TOKEN as bearer token',
      parseUrl,
    )
    .addOption(
      new Option('--mode <mode>', 'store to open without --url: lite or standard (default from config)').choices([
        'lite',
        'standard',
      ]),
    )
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : BAD_INPUT))
    .action(async (query: string, flags: SearchFlags, command: Command) => {
      const input: Record<string, string | number> = {
        q: query,
        kind: flags.kind,
        mode: flags.searchMode,
        limit: flags.limit,
        ...(flags.project !== undefined ? { project: flags.project } : {}),
        ...(flags.tags !== undefined ? { tags: flags.tags } : {}),
      };
      let result: MixedSearchResult;
      try {
        const url = flags.url ?? envUrl();
        result = url ? await searchRemote(url, input) : await searchLocal(command, flags.mode, input);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        process.stderr.write(`session-buddy: ${error.message}\n`);
        process.exitCode = BAD_INPUT;
        return;
      }
      if (result.degraded) process.stderr.write(`note: ${result.degraded}; full-text results only\n`);
      if (flags.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (result.items.length === 0) return void process.stdout.write('no matches\n');
      for (const hit of result.items) {
        process.stdout.write(
          `${hit.score.toFixed(3)}  ${hit.kind.padEnd(10)}  ${hit.item.id}  ${preview(hit.item.content)}\n`,
        );
      }
    });
}

function envUrl(): string | undefined {
  const value = process.env.SESSION_BUDDY_URL;
  if (!value) return undefined;
  try {
    return parseUrl(value);
  } catch (error) {
    throw new ValidationError(`SESSION_BUDDY_URL ${(error as Error).message}`);
  }
}

async function searchLocal(
  command: Command,
  mode: string | undefined,
  input: Record<string, unknown>,
): Promise<MixedSearchResult> {
  let result: MixedSearchResult | undefined;
  await openCliApplication(command, mode, async (app) => {
    if (app.store.dialect === 'sqlite' && app.config.database.sqlitePath === ':memory:') {
      process.stderr.write(
        'note: the configured store is an empty in-memory database; pass --url to search a running server\n',
      );
    }
    result = await app.services.search.search({ tenantId: app.config.auth.defaultTenant }, input);
  });
  return result as MixedSearchResult;
}

/** GET /v1/search on a running server: the same service method, behind REST. */
async function searchRemote(base: string, input: Record<string, string | number>): Promise<MixedSearchResult> {
  const url = new URL('v1/search', base.endsWith('/') ? base : `${base}/`);
  for (const [key, value] of Object.entries(input)) url.searchParams.set(key, String(value));
  const token = process.env.SESSION_BUDDY_TOKEN;
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  const body = (await res.json().catch(() => undefined)) as
    | (MixedSearchResult & { detail?: string; code?: string; errors?: Array<{ field?: string; message: string }> })
    | undefined;
  if (res.ok && body) return body;
  const detail = body?.detail ?? `HTTP ${res.status}`;
  if (res.status === 400) throw new ValidationError(detail, body?.errors ?? []);
  throw new Error(`${url.origin} answered ${res.status}${body?.code ? ` ${body.code}` : ''}: ${detail}`);
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
}
