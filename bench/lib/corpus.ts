/**
 * A synthetic, deterministic corpus of development reflections (bug post-mortems, decisions, tool
 * choices, lessons, performance notes) spread over projects with skewed sizes, with tags, importance
 * and creation times, plus held-out queries made from sentences of the same generator that are NOT
 * in the corpus. Every content is unique. The same seed always gives the same corpus.
 */

export interface CorpusItem {
  content: string;
  project: string;
  tags: string[];
  importance: number;
  createdAt: string;
}

export interface CorpusQuery {
  /** A problem description: the first clause of a held-out sentence (6–15 words). */
  text: string;
  /** A term of that sentence (component or tool name) for substring and keyword search. */
  keyword: string;
  /** The held-out sentence's project, for the filtered variant. */
  project: string;
}

export interface Corpus {
  items: CorpusItem[];
  queries: CorpusQuery[];
}

const COMPONENTS: Array<[string, string]> = [
  ['connection pool', 'database'],
  ['rate limiter', 'api'],
  ['session cache', 'performance'],
  ['login form', 'frontend'],
  ['token refresh', 'security'],
  ['payment webhook', 'api'],
  ['search index', 'database'],
  ['job queue', 'infra'],
  ['retry policy', 'resilience'],
  ['migration runner', 'database'],
  ['feature flag service', 'infra'],
  ['image resizer', 'performance'],
  ['email sender', 'api'],
  ['audit log', 'security'],
  ['graphql resolver', 'api'],
  ['csv importer', 'data'],
  ['websocket gateway', 'api'],
  ['build pipeline', 'ci'],
  ['docker image', 'ci'],
  ['helm chart', 'infra'],
  ['cron scheduler', 'infra'],
  ['metrics exporter', 'observability'],
  ['admin dashboard', 'frontend'],
  ['checkout flow', 'frontend'],
  ['invoice generator', 'data'],
  ['password reset', 'security'],
  ['oauth callback', 'security'],
  ['s3 uploader', 'infra'],
  ['kafka consumer', 'data'],
  ['redis lock', 'resilience'],
  ['read replica', 'database'],
  ['orm layer', 'database'],
  ['config loader', 'infra'],
  ['health check', 'observability'],
  ['load balancer', 'infra'],
  ['cdn cache', 'performance'],
  ['service worker', 'frontend'],
  ['date picker', 'frontend'],
  ['translation bundle', 'frontend'],
  ['notification service', 'api'],
  ['pdf renderer', 'data'],
  ['vector index', 'database'],
  ['embedding worker', 'data'],
  ['autocomplete', 'frontend'],
  ['permissions check', 'security'],
  ['billing reconciler', 'data'],
  ['upload endpoint', 'api'],
  ['tracing middleware', 'observability'],
];

const SYMPTOMS = [
  'leaked connections',
  'timed out',
  'returned stale data',
  'dropped messages',
  'deadlocked',
  'ran out of memory',
  'double-charged customers',
  'threw null reference errors',
  'logged secrets in plain text',
  'blocked the event loop',
  'retried forever',
  'lost writes',
  'returned 500 errors',
  'slowed to a crawl',
  'spiked the CPU',
  'served the wrong locale',
  'crashed on startup',
  'skipped records',
  'ran duplicate jobs',
  'ignored cancellation',
];

const CONDITIONS = [
  'under heavy load',
  'right after the deploy',
  'during the nightly batch',
  'when the cache was cold',
  'on slow mobile networks',
  'with very large payloads',
  'after a database failover',
  'in the staging environment',
  'with concurrent writers',
  'at the end of the month',
  'when the access token expired',
  'on Safari only',
  'after the schema migration',
  'with emoji in the input',
  'behind the corporate proxy',
  'once traffic doubled',
];

const CAUSES = [
  'a missing index on the foreign key',
  'an unbounded retry loop',
  'a race between two workers',
  'a forgotten await',
  'an off-by-one error in pagination',
  'a timezone mismatch',
  'an expired TLS certificate',
  'a misconfigured timeout',
  'N+1 queries in the serializer',
  'a stale feature flag',
  'a shared mutable singleton',
  'an unclosed file handle',
  'the wrong transaction isolation level',
  'a regex with catastrophic backtracking',
  'an exception swallowed silently',
  'integer overflow in a counter',
  'clock skew between hosts',
  'a default page size of ten thousand',
  'inconsistent lock ordering',
  'an event listener that was never removed',
];

const FIXES = [
  'added a composite index',
  'capped retries with exponential backoff and jitter',
  'took a row lock before updating',
  'awaited the promise and added a lint rule',
  'switched to keyset pagination',
  'stored every timestamp in UTC',
  'automated certificate rotation',
  'set an explicit five second timeout',
  'batched the lookups into one query',
  'deleted the flag and its dead code',
  'made the handler stateless',
  'closed the handle in a finally block',
  'moved to serializable transactions with retries',
  'replaced the regex with a parser',
  'logged the error with context and rethrew it',
  'switched the counter to bigint',
  'synced clocks with chrony',
  'capped the page size at two hundred',
  'acquired locks in a fixed order',
  'removed the listener on shutdown',
];

const DECISIONS = [
  'use PostgreSQL advisory locks for leader election',
  'move the work to a separate worker process',
  'keep the API stateless',
  'adopt contract tests for every adapter',
  'cache responses for sixty seconds',
  'split the module out of the monolith',
  'pin exact dependency versions',
  'roll out behind a feature flag',
  'stream large exports instead of buffering them',
  'require idempotency keys on writes',
  'store money as integer cents',
  'validate every input with a schema',
  'run migrations before the deploy',
  'use UUIDv7 identifiers',
  'prefer composition over inheritance',
  'put a circuit breaker in front of the provider',
  'use a transactional outbox for follow-up jobs',
  'keep a dead letter queue and an operator tool',
];

const DECIDED = ['Decided to', 'We agreed to', 'Going forward we will', 'The team chose to'];

const REASONS = [
  'it removes a whole class of race conditions',
  'the old approach did not scale past one node',
  'reviews kept catching the same mistake',
  'customers noticed the latency',
  'it keeps deploys reversible',
  'it cuts the cloud bill noticeably',
  'on-call pages dropped after the trial',
  'the tests became deterministic',
  'the previous incident took hours to debug',
  'it makes the failure visible instead of silent',
  'support tickets about it kept coming back',
  'the team could not reason about the old code',
];

const TOOLS: Array<[string, string]> = [
  ['vitest', 'jest'],
  ['pnpm', 'npm'],
  ['biome', 'eslint'],
  ['pino', 'winston'],
  ['zod', 'joi'],
  ['hono', 'express'],
  ['playwright', 'selenium'],
  ['esbuild', 'webpack'],
  ['testcontainers', 'a shared test database'],
  ['bullmq', 'a homemade polling loop'],
  ['k6', 'jmeter'],
  ['terraform', 'manual console changes'],
  ['opentelemetry', 'ad hoc log lines'],
  ['pgbouncer', 'one pool per replica'],
  ['ripgrep', 'grep'],
  ['sqlite', 'an in-memory map'],
];

const TASKS = [
  'unit tests',
  'linting and formatting',
  'structured logging',
  'input validation',
  'end to end tests',
  'bundling the frontend',
  'load testing',
  'background jobs',
  'infrastructure changes',
  'request tracing',
  'connection pooling',
  'local development',
];

const BENEFITS = [
  'is several times faster on our repository',
  'catches mistakes the old setup missed',
  'needs far less configuration',
  'has much better TypeScript types',
  'works offline',
  'makes failures easier to debug',
  'runs in CI without special setup',
  'uses a fraction of the memory',
];

const LESSONS = [
  'always measure before optimising',
  'write the failing test first',
  'log the request id everywhere',
  'never retry calls that are not idempotent',
  'read the query plan before adding an index',
  'read the changelog before a major upgrade',
  'keep migrations backwards compatible',
  'set a timeout on every outbound call',
  'put a bound on every queue',
  'make every alert actionable',
  'reproduce the bug locally before fixing it',
  'keep feature flags short-lived',
  'document the rollback plan before the rollout',
  'check what happens when the dependency is down',
];

const CONTEXTS = [
  'reviewing a large pull request',
  'upgrading a major dependency',
  'chasing flaky tests',
  'rolling out a schema change',
  'handling customer data',
  'pairing with a new teammate',
  'writing the incident report',
  'planning the quarter',
];

/** Projects with Zipf-like sizes: the largest holds about a third of the corpus, the smallest about 2%. */
const PROJECTS = [
  'session-buddy',
  'billing-api',
  'web-frontend',
  'auth-service',
  'data-pipeline',
  'mobile-app',
  'search-service',
  'infra',
  'notifications',
  'ml-platform',
  'admin-console',
  'payments-gateway',
];
const PROJECT_WEIGHTS = PROJECTS.map((_, i) => 1 / (i + 1));

const DAY_MS = 86_400_000;
/** Creation times fall in the year before this instant (fixed, so runs are comparable). */
const CORPUS_END = Date.parse('2026-01-01T00:00:00Z');

type Random = () => number;

function rng(seed: number): Random {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

function weighted(random: Random, weights: number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

interface Sentence {
  /** The first clause, usable alone as a problem description. */
  clause: string;
  /** The rest, after the clause. */
  rest: string;
  keyword: string;
  tags: string[];
}

/** One templated sentence; numbers and optional phrases make collisions rare. */
function sentence(random: Random): Sentence {
  const [component, area] = pick(random, COMPONENTS);
  switch (Math.floor(random() * 5)) {
    case 0:
      return {
        clause: `The ${component} ${pick(random, SYMPTOMS)} ${pick(random, CONDITIONS)}`,
        rest: `: the root cause was ${pick(random, CAUSES)}, so we ${pick(random, FIXES)}.`,
        keyword: component,
        tags: ['bug', area],
      };
    case 1:
      return {
        clause: `${pick(random, DECIDED)} ${pick(random, DECISIONS)} in the ${component}`,
        rest: ` because ${pick(random, REASONS)}${random() < 0.6 ? `, as we learned while ${pick(random, CONTEXTS)}` : ''}.`,
        keyword: component,
        tags: ['decision', area],
      };
    case 2: {
      const [tool, alternative] = pick(random, TOOLS);
      return {
        clause: `Use ${tool} instead of ${alternative} for ${pick(random, TASKS)}`,
        rest: ` in the ${component}: it ${pick(random, BENEFITS)}.`,
        keyword: tool,
        tags: ['tooling', area],
      };
    }
    case 3:
      return {
        clause: `Lesson from the ${component} incident while ${pick(random, CONTEXTS)}`,
        rest: `: ${pick(random, LESSONS)}, and ${pick(random, LESSONS)}.`,
        keyword: component,
        tags: ['lesson', area],
      };
    default: {
      const before = 50 + Math.floor(random() * 1950);
      const after = Math.max(1, Math.floor(before * (0.05 + random() * 0.5)));
      return {
        clause: `Profiling the ${component} ${pick(random, CONDITIONS)} showed ${pick(random, CAUSES)}`,
        rest: `; after we ${pick(random, FIXES)}, p99 latency went from ${before} ms to ${after} ms.`,
        keyword: component,
        tags: ['performance', area],
      };
    }
  }
}

/**
 * `size` corpus items and `queries` held-out queries. Queries come from sentences generated after the
 * corpus and rejected when they equal a corpus item, so no query is a stored text.
 */
export function reflectionCorpus(size: number, queries = 200, seed = 0x5eed): Corpus {
  const random = rng(seed);
  const seen = new Set<string>();
  const items: CorpusItem[] = [];
  const held: CorpusQuery[] = [];
  while (items.length < size || held.length < queries) {
    const s = sentence(random);
    const content = `${s.clause}${s.rest}`;
    if (seen.has(content)) continue;
    seen.add(content);
    const project = PROJECTS[weighted(random, PROJECT_WEIGHTS)] as string;
    if (items.length < size) {
      items.push({
        content,
        project,
        tags: random() < 0.3 ? [...s.tags, pick(random, ['urgent', 'follow-up', 'postmortem', 'idea'])] : s.tags,
        importance: Math.round(random() * 100) / 100,
        createdAt: new Date(CORPUS_END - Math.floor(random() * 365 * DAY_MS)).toISOString(),
      });
    } else {
      held.push({ text: s.clause, keyword: s.keyword, project });
    }
  }
  return { items, queries: held };
}
