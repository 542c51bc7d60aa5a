import { Command, InvalidArgumentError, Option } from 'commander';
import { ValidationError } from '../core/errors.js';
import type {
  ConceptSearchResult,
  ConversationSearchResult,
  FileSearchResult,
  MixedSearchResult,
  QuickSearchResult,
  SearchHit,
  SearchMode,
  SearchRun,
  SearchScope,
} from '../domain/search.model.js';
import { SEARCH_MODES, SEARCH_SCOPES } from '../domain/search.model.js';
import { runOperation } from '../operations/run-operation.js';
import { openCliApplication } from './cli-app.js';
import { BAD_INPUT } from './shared.js';

/** Exit code for input the command cannot use (a bad flag, a query the service refuses). */
type Flag = 'kind' | 'searchMode' | 'limit' | 'tags';

const VIEW_NAMES = ['results', 'quick', 'file', 'concept', 'conversations'] as const;
type View = (typeof VIEW_NAMES)[number];

/**
 * What `--as` shows: the operation (run directly), its REST path (--url, the same operation behind it), the
 * input field the argument fills, and the flags that view takes. Its human output is in `printers`.
 */
const VIEWS: Record<View, { operation: string; path: string; field: string; flags: readonly Flag[] }> = {
  results: { operation: 'search_all', path: 'v1/search', field: 'q', flags: ['kind', 'searchMode', 'limit', 'tags'] },
  quick: { operation: 'quick_search', path: 'v1/search/quick', field: 'q', flags: ['kind', 'searchMode', 'tags'] },
  file: { operation: 'search_by_file', path: 'v1/search/by-file', field: 'path', flags: ['kind', 'limit', 'tags'] },
  concept: {
    operation: 'search_by_concept',
    path: 'v1/search/by-concept',
    field: 'concept',
    flags: ['kind', 'limit', 'tags'],
  },
  conversations: {
    operation: 'search_conversations',
    path: 'v1/search/conversations',
    field: 'q',
    flags: ['searchMode', 'limit'],
  },
};

interface ViewResults {
  results: MixedSearchResult;
  quick: QuickSearchResult;
  file: FileSearchResult;
  concept: ConceptSearchResult;
  conversations: ConversationSearchResult;
}
type AnyResult = ViewResults[View];

const FLAG_NAMES: Record<Flag, string> = {
  kind: '--kind',
  searchMode: '--search-mode',
  limit: '--limit',
  tags: '--tags',
};

interface SearchFlags {
  as: View;
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
    .argument('<query>', 'what to look for, in plain words (with --as file: a file or folder path)')
    .addOption(
      new Option(
        '--as <view>',
        'results (hits, best first), quick (best hit and counts), file (mentions of a path), concept (by meaning, per kind, with related tags), conversations (messages grouped by session)',
      )
        .choices(VIEW_NAMES)
        .default('results'),
    )
    .addOption(new Option('--kind <kind>', 'what to search').choices(SEARCH_SCOPES).default('all'))
    .addOption(new Option('--search-mode <mode>', 'how to rank').choices(SEARCH_MODES).default('hybrid'))
    .option(
      '--limit <n>',
      'hits to show, 1 to 100 (file: default 20; concept: per kind; conversations: sessions)',
      parseLimit,
      10,
    )
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
      const view = VIEWS[flags.as];
      const given = (flag: Flag) => command.getOptionValueSource(flag) === 'cli';
      const unused = (Object.keys(FLAG_NAMES) as Flag[]).find((f) => !view.flags.includes(f) && given(f));
      if (unused) return badFlag(`${FLAG_NAMES[unused]} does not apply to --as ${flags.as}`);
      const input: Record<string, string | number> = { [view.field]: query };
      // Results keeps its own defaults; the other views take the service's unless a flag says otherwise.
      const take = (flag: Flag) => view.flags.includes(flag) && (flags.as === 'results' || given(flag));
      if (take('kind')) input.kind = flags.kind;
      if (take('searchMode')) input.mode = flags.searchMode;
      if (take('limit')) input.limit = flags.limit;
      if (flags.project !== undefined) input.project = flags.project;
      if (take('tags') && flags.tags !== undefined) input.tags = flags.tags;
      const url = flags.url ?? envUrl();
      const result: AnyResult = url
        ? await searchRemote(url, view.path, input)
        : await searchLocal(command, flags, input);
      const degraded = (result as Partial<SearchRun>).degraded;
      if (degraded) process.stderr.write(`note: ${degraded}; full-text results only\n`);
      if (flags.json) return void process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      for (const line of printers[flags.as](result as never)) process.stdout.write(`${line}\n`);
    });
}

function badFlag(message: string): void {
  process.stderr.write(`session-buddy: ${message}\n`);
  process.exitCode = BAD_INPUT;
}

/** Human output of each view: one line per hit, per mention or per session. */
const printers: { [V in View]: (r: ViewResults[V]) => string[] } = {
  results: (r) => (r.items.length === 0 ? ['no matches'] : r.items.map((h) => hitLine(h.kind, h))),
  quick: (r) => {
    if (!r.best) return ['no matches'];
    const { reflections, messages } = r.totals;
    return [
      hitLine(r.best.kind, r.best),
      `${r.total}${r.totalCapped ? '+' : ''} matches (${reflections} reflections, ${messages} messages)`,
    ];
  },
  file: (r) =>
    r.items.length === 0
      ? [`nothing mentions ${r.path}`]
      : r.items.map(
          (h) =>
            `${h.item.createdAt}  ${h.kind.padEnd(10)}  ${h.item.id}  ${h.matchedPath} ×${h.mentions}  ${preview(h.snippet)}`,
        ),
  concept: (r) => {
    const hits = [
      ...r.reflections.map((h) => hitLine('reflection', h)),
      ...r.messages.map((h) => hitLine('message', h)),
    ];
    if (hits.length === 0) return ['no matches'];
    const related = (label: string, list: Array<{ name: string; count: number }>) =>
      list.length ? [`related ${label}: ${list.map((t) => `${t.name} (${t.count})`).join(', ')}`] : [];
    return [...hits, ...related('tags', r.related.tags), ...related('projects', r.related.projects)];
  },
  conversations: (r) =>
    r.sessions.length === 0
      ? ['no matches']
      : r.sessions.map(
          (s) =>
            `${s.bestScore.toFixed(3)}  ${s.sessionId}  ${s.project}  ${s.name}  ${s.matchCount} matches  ${preview(s.messages[0]?.snippet ?? '')}`,
        ),
};

function hitLine(kind: string, hit: SearchHit<{ id: string; content: string }>): string {
  return `${hit.score.toFixed(3)}  ${kind.padEnd(10)}  ${hit.item.id}  ${preview(hit.item.content)}`;
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

async function searchLocal(command: Command, flags: SearchFlags, input: Record<string, unknown>): Promise<AnyResult> {
  let result: AnyResult | undefined;
  await openCliApplication(command, flags.mode, async (app) => {
    if (app.store.dialect === 'sqlite' && app.config.database.sqlitePath === ':memory:') {
      process.stderr.write(
        'note: the configured store is an empty in-memory database; pass --url to search a running server\n',
      );
    }
    // Parsed with the operation's schema and run, as REST and MCP do.
    const context = { principal: { tenantId: app.config.auth.defaultTenant }, services: app.services };
    result = await runOperation<AnyResult>(app.operations, VIEWS[flags.as].operation, context, input);
  });
  return result as AnyResult;
}

/** GET /v1/search… on a running server: the same operation, behind REST. */
async function searchRemote(base: string, path: string, input: Record<string, string | number>): Promise<AnyResult> {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
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
    | (AnyResult & { detail?: string; code?: string; errors?: Array<{ field?: string; message: string }> })
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
