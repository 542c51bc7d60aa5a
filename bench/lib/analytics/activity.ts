/**
 * A synthetic, deterministic history of development sessions and their messages, for the analytics benchmarks:
 * three tenants of unequal size, twelve projects of skewed size, sessions of varying length spread over the last
 * `days` days, messages alternating user/assistant with some tool output and a system prompt, of varying length.
 * The same options always give the same rows (ids aside: UUIDv7, as the repositories make them).
 */
import { uuidv7 } from '../../../src/core/ids.js';
import type { MessageRole } from '../../../src/domain/message.model.js';

export interface ActivityOptions {
  /** Messages in total. */
  messages: number;
  /** Mean messages per session (sessions are 0.5× to 1.5× this long). */
  perSession: number;
  /** Sessions start within the last `days` days before `endMs`. */
  days: number;
  endMs: number;
}

export interface SessionRow {
  id: string;
  tenantId: string;
  project: string;
  name: string;
  status: 'active' | 'ended';
  messageCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface MessageRow {
  id: string;
  tenantId: string;
  sessionId: string;
  project: string;
  role: MessageRole;
  seq: number;
  content: string;
  createdAt: string;
}

export interface Activity {
  sessions: SessionRow[];
  messages: MessageRow[];
}

/** Share of sessions per tenant; the first is the one the query benchmark reads as. */
export const TENANTS: ReadonlyArray<[tenant: string, weight: number]> = [
  ['default', 0.7],
  ['acme', 0.2],
  ['globex', 0.1],
];

/** Projects, most active first (weights fall off like 1/rank). */
export const PROJECTS = [
  'session-buddy',
  'mahavishnu',
  'billing-api',
  'web-frontend',
  'infra',
  'data-pipeline',
  'mobile-app',
  'auth-service',
  'search',
  'docs-site',
  'ml-platform',
  'cli-tools',
];

const TOPICS = [
  'the connection pool leaks under load',
  'the retry policy hides a timeout',
  'the migration runner locks the table',
  'the search index misses stemmed terms',
  'the webhook handler is not idempotent',
  'the cache key ignores the tenant',
  'flaky test in the job queue suite',
  'the build pipeline takes twelve minutes',
  'the CSV importer chokes on quoted newlines',
  'the rate limiter counts per process',
];
const USER_LINES = [
  'Can you look into why {t}?',
  'We still see it in production: {t}. Any idea where to start?',
  'Please write a failing test first, then fix it: {t}.',
  'What would you change so that {t} never happens again?',
];
const ASSISTANT_LINES = [
  'I traced it to src/{f}.ts: {t}. The fix is to release the handle in a finally block and add a regression test.',
  'Running `npm test -- {f}` shows the failure. {T} because the error path skips the cleanup; I changed it and the suite passes.',
  'Decision: keep the current design but add a guard. {T}, so I added a check and documented why in docs/{f}.md.',
  'Two options: a lock around the write, or an idempotency key. I went with the key; TODO: backfill old rows.',
];
const TOOL_LINES = [
  '$ npm test -- {f}\n  ✓ 41 passed\n  ✗ 1 failed: expected 200, got 503\nError: ECONNRESET at Socket.onClose',
  '$ git diff --stat\n src/{f}.ts | 14 ++++++++------\n 1 file changed, 8 insertions(+), 6 deletions(-)',
  '$ rg "{f}" src\nsrc/{f}.ts:12: export function {f}()\nsrc/index.ts:3: import { {f} } from "./{f}.js"',
];
const FILES = ['pool', 'retry', 'migrate', 'search', 'webhook', 'cache', 'queue', 'build', 'importer', 'limiter'];
const SYSTEM_PROMPT = 'You are a careful pair programmer. Prefer small, tested changes.';
/** Time between two messages of a session. */
const MIN_GAP_MS = 5_000;
const MAX_GAP_MS = 125_000;
const DAY_MS = 86_400_000;

/** mulberry32: a small seeded PRNG, so the history is the same every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted<T>(items: ReadonlyArray<T>, weights: ReadonlyArray<number>, r: number): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = r * total;
  for (let i = 0; i < items.length; i++) {
    x -= weights[i] as number;
    if (x <= 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

const PROJECT_WEIGHTS = PROJECTS.map((_, i) => 1 / (i + 1));

function messageText(role: MessageRole, rnd: () => number): string {
  if (role === 'system') return SYSTEM_PROMPT;
  const topic = TOPICS[Math.floor(rnd() * TOPICS.length)] as string;
  const file = FILES[Math.floor(rnd() * FILES.length)] as string;
  const lines = role === 'user' ? USER_LINES : role === 'tool' ? TOOL_LINES : ASSISTANT_LINES;
  const line = lines[Math.floor(rnd() * lines.length)] as string;
  return line
    .replaceAll('{t}', topic)
    .replaceAll('{T}', topic[0]?.toUpperCase() + topic.slice(1))
    .replaceAll('{f}', file);
}

/** The history: sessions in start order, messages in session order (seq 1, 2, …), `messages` rows in all. */
export function generateActivity(options: ActivityOptions): Activity {
  const rnd = random(20261205);
  const sessions: SessionRow[] = [];
  const messages: MessageRow[] = [];
  const startMs = options.endMs - options.days * DAY_MS;
  const sessionCount = Math.max(1, Math.round(options.messages / options.perSession));
  // Session i starts at an even step through the window, jittered; its messages follow a minute or so apart, the
  // last one before `endMs`.
  const stepMs = (options.days * DAY_MS) / sessionCount;
  let left = options.messages;
  for (let s = 0; s < sessionCount && left > 0; s++) {
    const length =
      s === sessionCount - 1 ? left : Math.min(left, Math.max(1, Math.round(options.perSession * (0.5 + rnd()))));
    left -= length;
    const tenantId = weighted(
      TENANTS.map(([t]) => t),
      TENANTS.map(([, w]) => w),
      rnd(),
    );
    const project = weighted(PROJECTS, PROJECT_WEIGHTS, rnd());
    const created = Math.min(options.endMs - length * MAX_GAP_MS, startMs + s * stepMs + rnd() * stepMs * 0.5);
    const session: SessionRow = {
      id: uuidv7(),
      tenantId,
      project,
      name: `${project} session ${s + 1}`,
      status: s < sessionCount - 20 ? 'ended' : 'active',
      messageCount: length,
      createdAt: new Date(created).toISOString(),
      updatedAt: '',
    };
    let at = created;
    for (let seq = 1; seq <= length; seq++) {
      const role: MessageRole =
        seq === 1 ? 'system' : seq % 2 === 0 ? 'user' : rnd() < 0.3 ? 'tool' : ('assistant' as MessageRole);
      at += MIN_GAP_MS + Math.floor(rnd() * (MAX_GAP_MS - MIN_GAP_MS));
      messages.push({
        id: uuidv7(),
        tenantId,
        sessionId: session.id,
        project,
        role,
        seq,
        content: messageText(role, rnd),
        createdAt: new Date(at).toISOString(),
      });
    }
    session.updatedAt = new Date(at).toISOString();
    sessions.push(session);
  }
  return { sessions, messages };
}
