import { z } from 'zod';
import { ROLES } from '../core/roles.js';
import { TENANT_ID_PATTERN, TENANT_ID_RULE } from '../core/tenant.js';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

/** A list from YAML, or comma-separated from an environment variable. */
const list = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  z.array(z.string().min(1)).max(100),
);

export const QUEUE_NAMES = ['embedding', 'sync', 'analytics'] as const;

/** Default caps of ad-hoc analytics SQL (`analytics.queryMaxRows`, `queryMaxBytes`, `queryTimeoutMs`). */
export const ANALYTICS_QUERY_DEFAULTS = Object.freeze({ maxRows: 10_000, maxBytes: 8 * 1024 * 1024, timeoutMs: 5_000 });

const retryPolicy = z
  .object({
    attempts: z.coerce.number().int().min(1).max(100).default(5).describe('Attempts in all, the first included.'),
    backoffMs: z.coerce
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(1_000)
      .describe('Delay before the second attempt, in ms; doubles each time.'),
    maxDelayMs: z.coerce
      .number()
      .int()
      .min(0)
      .max(86_400_000)
      .default(300_000)
      .describe('Longest delay between attempts, in ms.'),
    jitter: z.coerce
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Random share of each delay (0 none, 1 full jitter).'),
  })
  .strict();

const breakerOptions = z
  .object({
    timeoutMs: z.coerce
      .number()
      .int()
      .min(1)
      .max(600_000)
      .default(15_000)
      .describe(
        'A call slower than this (ms) counts as a failure (also the HTTP timeout of embedding calls). Sized for one ' +
          'batch (`batchSize` texts of up to `chunkChars`) on a CPU-served model; raise it for slower models or ' +
          'bigger batches, with `rollingWindowMs` at least as long.',
      ),
    errorThresholdPercentage: z.coerce
      .number()
      .min(1)
      .max(100)
      .default(50)
      .describe('Failure percentage in the rolling window that opens the breaker.'),
    volumeThreshold: z.coerce
      .number()
      .int()
      .min(0)
      .default(5)
      .describe('Calls in the window before the breaker may open.'),
    resetTimeoutMs: z.coerce
      .number()
      .int()
      .min(10)
      .max(3_600_000)
      .default(30_000)
      .describe('How long (ms) an open breaker waits before letting a trial call through.'),
    rollingWindowMs: z.coerce
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(60_000)
      .describe('Length of the rolling statistics window, in ms; at least `timeoutMs`.'),
    consecutiveFailures: z.coerce
      .number()
      .int()
      .min(0)
      .max(1_000)
      .default(3)
      .describe(
        'Failures or timeouts in a row that open the breaker whatever the window volume (0: off), so a hanging ' +
          'provider opens it within consecutiveFailures × timeoutMs.',
      ),
  })
  .strict()
  .refine((b) => b.rollingWindowMs >= b.timeoutMs, {
    message: 'rollingWindowMs must be at least timeoutMs, or timed-out calls fall out of the window uncounted',
    path: ['rollingWindowMs'],
  });

/**
 * The one configuration schema. Every key carries its default and a description (`.describe`), from which
 * docs/configuration.md is generated (`npm run docs`). Environment variables reach a key as
 * `SESSION_BUDDY_<KEY>` with nested keys joined by `__` (e.g. `SESSION_BUDDY_DATABASE__URL`); the flat form
 * (`SESSION_BUDDY_DATABASE_URL`) is accepted too when it names exactly one key.
 */
export const configSchema = z
  .object({
    mode: z
      .enum(['lite', 'standard'])
      .default('lite')
      .describe('Operating mode: `lite` (no services) or `standard` (PostgreSQL + Redis).'),
    serverName: z
      .string()
      .min(1)
      .default('Session-Buddy')
      .describe('Human-readable server name reported by health and MCP.'),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1').describe('Listen address of the API.'),
        port: port.default(8678).describe('Listen port of the API (0: any free port).'),
        bodyLimitBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024)
          .default(1024 * 1024)
          .describe('Largest accepted request body in bytes; larger bodies get 413.'),
        shutdownTimeoutMs: z.coerce
          .number()
          .int()
          .min(0)
          .max(120_000)
          .default(10_000)
          .describe('How long (ms) shutdown waits for in-flight requests before closing them.'),
        requestTimeoutMs: z.coerce
          .number()
          .int()
          .min(1000)
          .max(3_600_000)
          .default(30_000)
          .describe(
            'Longest time (ms) a client may take to send a whole request (headers and body); a slower one gets 408 ' +
              'and its connection closed. Does not limit how long the answer takes.',
          ),
        headersTimeoutMs: z.coerce
          .number()
          .int()
          .min(1000)
          .max(3_600_000)
          .default(15_000)
          .describe('Longest time (ms) a client may take to send the request headers (at most `requestTimeoutMs`).'),
        keepAliveTimeoutMs: z.coerce
          .number()
          .int()
          .min(0)
          .max(600_000)
          .default(5_000)
          .describe('How long (ms) an idle keep-alive connection stays open waiting for the next request.'),
        maxConnections: z.coerce
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(1024)
          .describe('Most open connections at once; connections beyond it are closed as soon as they arrive.'),
        allowedHosts: list
          .default([])
          .describe(
            'Host header values answered on every route besides the loopback names (localhost, 127.0.0.1, [::1]) ' +
              'and the listen address (host name and addresses when it is 0.0.0.0); `host` allows any port, `host:port` one ' +
              'port, `*` any host. Others get 403 (DNS-rebinding protection). Add the public name behind a proxy.',
          ),
        allowedOrigins: list
          .default([])
          .describe(
            'Browser origins accepted besides same-origin pages (and loopback pages on the same port); requests ' +
              'without an Origin header pass. `scheme://host` allows any port, `scheme://host:port` one, `*` any.',
          ),
      })
      .strict()
      .prefault({})
      .describe('The HTTP listener (REST, `/mcp`, health, metrics).'),
    database: z
      .object({
        driver: z
          .enum(['sqlite', 'postgres'])
          .default('sqlite')
          .describe('Primary store: `sqlite` (lite) or `postgres` (standard; set by `settings/standard.yaml`).'),
        url: z
          .string()
          .min(1)
          .optional()
          .describe('PostgreSQL connection URL; a password in it must come from the environment.'),
        sqlitePath: z
          .string()
          .min(1)
          .default(':memory:')
          .describe('SQLite database file; `:memory:` keeps everything in memory.'),
        poolMax: z.coerce.number().int().min(1).max(200).default(10).describe('PostgreSQL pool size.'),
        connectTimeoutMs: z.coerce
          .number()
          .int()
          .min(100)
          .max(120_000)
          .default(5_000)
          .describe('PostgreSQL: how long (ms) opening a connection may take; then the request gets 503.'),
        statementTimeoutMs: z.coerce
          .number()
          .int()
          .min(0)
          .max(3_600_000)
          .default(30_000)
          .describe('PostgreSQL `statement_timeout` (ms) of every query (migrations excepted); 0: none.'),
        retryAfterSeconds: z.coerce
          .number()
          .int()
          .min(1)
          .max(3_600)
          .default(5)
          .describe('`Retry-After` (s) of the 503 answered while the database is unreachable.'),
        migrateOnStart: bool
          .default(false)
          .describe('Apply migrations at start-up instead of `session-buddy migrate` (SQLite always does).'),
      })
      .strict()
      .prefault({})
      .describe('The primary store.'),
    redis: z
      .object({
        url: z.string().min(1).default('redis://127.0.0.1:6379').describe('Redis URL of the queue backend (standard).'),
        prefix: z.string().min(1).default('sb').describe('Key prefix for everything Session-Buddy stores in Redis.'),
      })
      .strict()
      .prefault({})
      .describe('Redis, the queue backend of standard mode.'),
    auth: z
      .object({
        enabled: bool
          .default(false)
          .describe(
            'Require `Authorization: Bearer <JWT>` on `/v1` and `/mcp` (and an operator token on `/metrics` and the ' +
              'admin pages). In standard mode `start` and `worker` refuse to run unless this is true or set to false ' +
              'explicitly.',
          ),
        secret: z
          .string()
          .min(32, 'must be at least 32 characters')
          .optional()
          .describe('HMAC secret of the tokens, at least 32 characters; `token create` signs with it.'),
        algorithm: z
          .enum(['HS256', 'HS384', 'HS512'])
          .default('HS256')
          .describe('JWT algorithm of tokens signed with `auth.secret`.'),
        jwksFile: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Path of a JWKS (JSON Web Key Set) file: tokens signed elsewhere with RS256 or ES256 are verified with ' +
              'its public keys (by `kid`). Read once at start-up.',
          ),
        jwksUrl: z
          .string()
          .url()
          .optional()
          .describe(
            'URL of a JWKS for tokens signed elsewhere with RS256 or ES256 (e.g. an identity provider); fetched ' +
              'with a 5 s timeout, cached for 10 minutes, refetched when a token names an unknown `kid`.',
          ),
        issuer: z
          .string()
          .min(1)
          .optional()
          .describe('When set, every token must carry this `iss`; `token create` writes it.'),
        audience: z
          .string()
          .min(1)
          .optional()
          .describe('When set, every token must name this audience in `aud`; `token create` writes it.'),
        defaultRole: z
          .enum(ROLES)
          .default('writer')
          .describe(
            'Role of a token without a `roles` claim (tokens issued before roles existed): reader, writer, ' +
              'operator or admin.',
          ),
        expireMinutes: z.coerce
          .number()
          .int()
          .min(1)
          .default(60)
          .describe('Lifetime of tokens issued by `session-buddy token` without `--ttl`.'),
        defaultTenant: z
          .string()
          .min(1)
          .max(128)
          .regex(TENANT_ID_PATTERN, TENANT_ID_RULE)
          .default('default')
          .describe('Tenant used when auth is off, or when a token names none (`tenant` claim).'),
      })
      .strict()
      .prefault({})
      .describe('Bearer JWT authentication and roles (docs/security.md).'),
    rateLimit: z
      .object({
        enabled: bool
          .default(false)
          .describe(
            'Limit calls per principal (tenant + token subject) with a token bucket; over the limit: 429 with ' +
              'Retry-After (REST), an isError result (MCP).',
          ),
        shared: bool
          .optional()
          .describe(
            'Keep the buckets in Redis, one budget per principal across every API replica (fails open while Redis ' +
              "is down). (Default: true in standard mode; lite mode always keeps them in the process's memory)",
          ),
        perSecond: z.coerce
          .number()
          .positive()
          .max(1_000_000)
          .default(20)
          .describe('Calls per second a principal gets back (the bucket refill rate).'),
        burst: z.coerce
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(100)
          .describe('Most calls a principal may make at once (the bucket size).'),
      })
      .strict()
      .prefault({})
      .describe('Rate limits per principal: every REST operation call and every MCP tool call takes one token.'),
    metrics: z
      .object({
        token: z
          .string()
          .min(32, 'must be at least 32 characters')
          .optional()
          .describe(
            'A static bearer token that may read `/metrics` (for Prometheus `authorization` / `bearer_token`) ' +
              'besides operator and admin JWTs; only needed with auth on.',
          ),
      })
      .strict()
      .prefault({})
      .describe('The Prometheus endpoint `/metrics`: open with auth off, operators only with auth on.'),
    imports: z
      .object({
        maxItems: z.coerce
          .number()
          .int()
          .min(1)
          .default(10_000)
          .describe('Most reflections one import may make (memory-json: one per observation); more → 413.'),
        maxObservationsPerEntity: z.coerce
          .number()
          .int()
          .min(1)
          .default(1_000)
          .describe('Most observations of one memory-json entity; a bigger entity is a bad line (400 in strict).'),
      })
      .strict()
      .prefault({})
      .describe(
        'Reflection imports (REST, MCP `import_memory`, CLI `reflections import`); nothing is written past a cap.',
      ),
    limits: z
      .object({
        messageContentChars: z.coerce
          .number()
          .int()
          .min(1)
          .default(200_000)
          .describe('Largest message content in characters.'),
        batchMessages: z.coerce
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(500)
          .describe('Most messages in one batch request.'),
        metadataBytes: z.coerce
          .number()
          .int()
          .min(2)
          .default(16_384)
          .describe('Largest metadata object, serialised, in bytes.'),
        pageSize: z.coerce
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(200)
          .describe('Largest page a list request may ask for.'),
        messageTimeSkewSeconds: z.coerce
          .number()
          .int()
          .min(0)
          .default(300)
          .describe('How far in the future a message createdAt given by the client may be, in seconds.'),
      })
      .strict()
      .prefault({})
      .describe('Input limits, the same for REST, MCP and the CLI.'),
    mcp: z
      .object({
        enabled: bool
          .default(false)
          .describe('Serve MCP over streamable HTTP at `/mcp` on the API port (`start --mcp` sets it too).'),
        allowedOrigins: list
          .default([])
          .describe('Deprecated: entries are added to `server.allowedOrigins`, which applies to every route.'),
        allowedHosts: list
          .default([])
          .describe('Deprecated: entries are added to `server.allowedHosts`, which applies to every route.'),
        maxBatchCalls: z.coerce
          .number()
          .int()
          .min(1)
          .max(100)
          .default(20)
          .describe('Most JSON-RPC messages in one batch over HTTP; a larger batch is refused whole (-32600).'),
        maxResponseBytes: z.coerce
          .number()
          .int()
          .min(1024 * 1024)
          .max(256 * 1024 * 1024)
          .default(16 * 1024 * 1024)
          .describe(
            'Bytes of JSON one HTTP request may get back (a batch in all). Calls of a batch run one after another; ' +
              'an answer that would pass the budget, and every call after it, is a JSON-RPC error naming this key.',
          ),
      })
      .strict()
      .prefault({})
      .describe('MCP over streamable HTTP.'),
    queue: z
      .object({
        embedding: retryPolicy.prefault({}).describe('Retry policy of the `embedding` queue.'),
        sync: retryPolicy.prefault({}).describe('Retry policy of the `sync` queue.'),
        analytics: retryPolicy.prefault({}).describe('Retry policy of the `analytics` queue.'),
      })
      .strict()
      .prefault({})
      .describe('Retry policy per queue: attempts in all, exponential backoff with jitter, capped.'),
    workers: z
      .object({
        inProcess: bool
          .default(false)
          .describe('Run the job workers inside the API process (`start --workers`; lite mode always does).'),
        queues: z
          .union([z.array(z.enum(QUEUE_NAMES)), z.string().transform((v) => v.split(',').map((q) => q.trim()))])
          .pipe(z.array(z.enum(QUEUE_NAMES)).min(1))
          .default([...QUEUE_NAMES])
          .describe('Queues a worker consumes.'),
        concurrency: z.coerce
          .number()
          .int()
          .min(1)
          .max(512)
          .default(64)
          .describe(
            'Jobs processed at once per queue and process. Embedding jobs mostly wait for their batch, so this ' +
              'should be at least twice `embedding.batchSize` for batches to fill.',
          ),
        shutdownTimeoutMs: z.coerce
          .number()
          .int()
          .min(0)
          .max(300_000)
          .default(15_000)
          .describe('How long (ms) shutdown waits for in-flight jobs before leaving them to other workers.'),
        lockDurationMs: z.coerce
          .number()
          .int()
          .min(1000)
          .max(600_000)
          .default(30_000)
          .describe("BullMQ: how long (ms) an active job's lock lasts; a dead worker's jobs wait this long."),
        stalledIntervalMs: z.coerce
          .number()
          .int()
          .min(500)
          .max(600_000)
          .default(30_000)
          .describe('BullMQ: how often (ms) workers requeue active jobs whose worker died.'),
        port: port
          .default(8679)
          .describe("Port of the worker's /healthz, /readyz and /metrics listener (0: any free port)."),
      })
      .strict()
      .prefault({})
      .describe('Job workers (`session-buddy worker`, or in-process).'),
    outbox: z
      .object({
        pollIntervalMs: z.coerce
          .number()
          .int()
          .min(10)
          .max(60_000)
          .default(250)
          .describe('How often (ms) an idle relay looks for unpublished jobs written by other processes.'),
        batchSize: z.coerce.number().int().min(1).max(10_000).default(500).describe('Rows published per round trip.'),
      })
      .strict()
      .prefault({})
      .describe('The transactional outbox relay.'),
    embedding: z
      .object({
        provider: z
          .enum(['local', 'ollama', 'openai', 'hash'])
          .default('local')
          .describe(
            '`local` (USE lite, 512-d, shipped), `ollama`, `openai` (any compatible server) or `hash` (not semantic).',
          ),
        model: z.string().min(1).default('nomic-embed-text').describe('Model name for ollama/openai.'),
        url: z
          .string()
          .url()
          .optional()
          .describe('Base URL for ollama (http://127.0.0.1:11434) or openai-compatible servers (…/v1).'),
        apiKey: z.string().min(1).optional().describe('API key for openai-compatible servers.'),
        dimension: z.coerce
          .number()
          .int()
          .min(2)
          .max(8192)
          .optional()
          .describe(
            "Expected dimension (default: the provider's); vectors of another size are rejected. Hash provider: its size.",
          ),
        batchSize: z.coerce.number().int().min(1).max(2048).default(32).describe('Texts per provider call.'),
        batchWaitMs: z.coerce
          .number()
          .int()
          .min(0)
          .max(5_000)
          .default(10)
          .describe(
            'While a provider call is in flight, how long (ms) texts wait to fill a batch; an idle provider gets a text at once.',
          ),
        localNice: z.coerce
          .number()
          .int()
          .min(0)
          .max(19)
          .default(10)
          .describe(
            "Priority of the local model's thread, as a nice value (0 normal … 19 lowest; Linux). Above 0, requests " +
              'get the CPU first when both want it and embedding catches up when requests pause.',
          ),
        chunkChars: z.coerce
          .number()
          .int()
          .min(100)
          .max(100_000)
          .default(2_000)
          .describe('Texts longer than this many characters are embedded in chunks and averaged.'),
        breaker: breakerOptions.prefault({}).describe('Circuit breaker around the embedding provider.'),
        reconcileIntervalMs: z.coerce
          .number()
          .int()
          .min(0)
          .max(86_400_000)
          .default(60_000)
          .describe(
            'How often (ms) stored messages without a vector of the active model, and no job in the outbox or on ' +
              'the queue, are queued again. This is what makes jobs lost with a Redis that keeps nothing on disk ' +
              'harmless. 0 turns it off.',
          ),
        reconcileGraceMs: z.coerce
          .number()
          .int()
          .min(0)
          .max(86_400_000)
          .default(30_000)
          .describe('Messages younger than this (ms) are left to their own job.'),
        reconcileLookbackMs: z.coerce
          .number()
          .int()
          .min(1000)
          .default(86_400_000)
          .describe('How far back (ms) the reconciler looks; the default is one day.'),
      })
      .strict()
      .prefault({})
      .describe('Embedding providers, batching and the reconciler.'),
    patterns: z
      .object({
        detectEveryMinutes: z.coerce
          .number()
          .int()
          .min(0)
          .max(10_080)
          .default(30)
          .describe(
            'How often processes that run workers queue pattern detection for every tenant active since the last ' +
              'run (one job per tenant and period, however many processes). 0 turns it off.',
          ),
        triggerWindowSeconds: z.coerce
          .number()
          .int()
          .min(1)
          .max(86_400)
          .default(60)
          .describe('Triggers (REST, MCP, CLI) for the same tenant and project within this window are one job.'),
        similarityThreshold: z.coerce
          .number()
          .min(0.5)
          .max(1)
          .default(0.8)
          .describe('Cosine similarity at or above which two items join one cluster.'),
        minSessions: z.coerce
          .number()
          .int()
          .min(2)
          .max(1_000)
          .default(3)
          .describe('Distinct sessions a cluster or an error must span to be a pattern.'),
        maxVectors: z.coerce
          .number()
          .int()
          .min(10)
          .max(20_000)
          .default(5_000)
          .describe(
            'Most recent vectors (messages and reflections) one run clusters. A run does at most maxVectors × ' +
              'maxClusters × dimension multiply-adds (defaults, 384 dimensions: about 2·10⁹, a second or two of one ' +
              'core), in slices that yield to the event loop.',
          ),
        maxClusters: z.coerce
          .number()
          .int()
          .min(10)
          .max(2_000)
          .default(1_000)
          .describe('Clusters one run keeps at most; once reached, items that join none are dropped as noise.'),
        maxErrorMessages: z.coerce
          .number()
          .int()
          .min(10)
          .max(50_000)
          .default(5_000)
          .describe('Most recent messages with error text one run reads.'),
        lookbackDays: z.coerce
          .number()
          .int()
          .min(1)
          .max(3_650)
          .default(30)
          .describe('Only items this recent are considered (at least 1: runs read recent items by creation time).'),
      })
      .strict()
      .prefault({})
      .describe('Pattern detection.'),
    analytics: z
      .object({
        path: z
          .string()
          .min(1)
          .optional()
          .describe(
            'DuckDB analytics database file, or `:memory:`. Default: standard mode `data/analytics.duckdb`; lite ' +
              'mode `:memory:` when SQLite is in memory, else a `.duckdb` file beside the SQLite file. A file named ' +
              '`facts.*` is refused (DuckDB names the database after the file, colliding with its `facts` schema).',
          ),
        syncBatchSize: z.coerce
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(250_000)
          .describe(
            'Rows one sync batch loads into DuckDB in one transaction (read from the primary store in pages of ' +
              '5,000). Large batches write whole row groups straight to the file; small ones go through the WAL ' +
              'and its checkpoints, several times slower.',
          ),
        syncIntervalMs: z.coerce
          .number()
          .int()
          .min(0)
          .max(86_400_000)
          .refine((ms) => ms === 0 || ms >= 1000, 'must be 0 (off) or at least 1000: catch-ups are whole seconds apart')
          .default(15_000)
          .describe(
            'How often (ms) processes that run workers queue a catch-up sync (writes queue one too, coalesced per ' +
              'second); 0 turns the periodic catch-up off, otherwise at least 1000 (whole seconds).',
          ),
        syncOverlapMs: z.coerce
          .number()
          .int()
          .min(0)
          .max(3_600_000)
          .default(5_000)
          .describe(
            'Each sync re-reads rows stamped this long (ms) before its watermark, so a write committed late (slow ' +
              'transaction, clock skew between replicas) is still picked up; re-reading is harmless (upserts).',
          ),
        reopenAfterWrites: z.coerce
          .number()
          .int()
          .min(0)
          .max(1_000_000)
          .default(50)
          .describe(
            'A file database is closed and opened again after this many sync runs, at a moment no reader holds ' +
              'a connection: DuckDB keeps native memory per write transaction that only closing returns (about ' +
              '10 MB per 1,000). 0 never reopens. In memory it never does (closing would lose the data).',
          ),
        reconcileBatchSize: z.coerce
          .number()
          .int()
          .min(0)
          .max(1_000_000)
          .default(20_000)
          .describe(
            'Ids per fact table each sync checks against the primary store to drop deleted rows (a rolling pass ' +
              'over all ids). 0 turns delete propagation off.',
          ),
        exportDir: z
          .string()
          .min(1)
          .default('data/exports')
          .describe(
            'Directory export_analytics writes files into when a call names a `destination` (relative to it; ' +
              'created on first export). Parquet exports are staged here too, also when streamed.',
          ),
        exportMaxRows: z.coerce
          .number()
          .int()
          .min(1)
          .max(1_000_000_000)
          .default(10_000_000)
          .describe('Rows one export_analytics call may hold at most; a bigger export fails (narrow it or split it).'),
        exportTimeoutMs: z.coerce
          .number()
          .int()
          .min(1_000)
          .max(86_400_000)
          .default(600_000)
          .describe(
            'Time (ms) one export_analytics call may take in all, a slow reader included, before its query is ' +
              'stopped (a streamed body is then cut off with an error).',
          ),
        queryMaxRows: z.coerce
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(ANALYTICS_QUERY_DEFAULTS.maxRows)
          .describe("Rows `query_analytics` returns at most (a call's `limit` may lower it; more set `truncated`)."),
        queryMaxBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .max(256 * 1024 * 1024)
          .default(ANALYTICS_QUERY_DEFAULTS.maxBytes)
          .describe('Bytes of JSON rows `query_analytics` returns at most (more set `truncated`).'),
        queryTimeoutMs: z.coerce
          .number()
          .int()
          .min(100)
          .max(600_000)
          .default(ANALYTICS_QUERY_DEFAULTS.timeoutMs)
          .describe('How long (ms) a `query_analytics` statement may run before it is interrupted.'),
        advertiseUrl: z
          .string()
          .url()
          .optional()
          .describe(
            "Standard mode: the URL other processes reach the analytics owner's worker listener at (registered in " +
              'Redis). Unset: `http://<server.host, or the host name when it is a wildcard>:<worker port>`.',
          ),
        ownerRetryMs: z.coerce
          .number()
          .int()
          .min(100)
          .max(600_000)
          .default(5_000)
          .describe(
            'Standard mode: how often (ms) a standby worker tries to take the DuckDB file over and the owner ' +
              'refreshes its registration in Redis (which expires after three times this).',
          ),
        remoteTimeoutMs: z.coerce
          .number()
          .int()
          .min(100)
          .max(600_000)
          .optional()
          .describe(
            'Standard mode: how long (ms) an API process waits for the analytics owner to answer a read (until ' +
              'the first byte of a streamed result). Default: `queryTimeoutMs` + 5,000.',
          ),
      })
      .strict()
      .prefault({})
      .describe('The DuckDB analytics store and its sync from the primary store.'),
    sync: z
      .object({
        akoshaEnabled: bool
          .default(false)
          .describe(
            'Push new and changed reflections, patterns, session summaries and code graphs to Akosha (the `akosha-sync` ' +
              'job on the `sync` queue, every `syncInterval` seconds and on `sync_now`).',
          ),
        akoshaUrl: z
          .string()
          .url()
          .default('http://localhost:8682/mcp')
          .describe("Akosha's MCP endpoint (streamable HTTP)."),
        akoshaToken: z.string().min(1).optional().describe('Bearer token sent to Akosha in the Authorization header.'),
        syncInterval: z.coerce
          .number()
          .int()
          .min(0)
          .max(86_400)
          .default(300)
          .describe('Seconds between periodic Akosha syncs queued by processes that run workers; 0: only `sync_now`.'),
        batchSize: z.coerce
          .number()
          .int()
          .min(1)
          .max(1_000)
          .default(100)
          .describe('Most items one `batch_store_memories` call carries.'),
        batchMaxBytes: z.coerce
          .number()
          .int()
          .min(64 * 1024)
          .max(64 * 1024 * 1024)
          .default(4 * 1024 * 1024)
          .describe(
            'Most bytes of JSON one call carries (a code graph bigger than this goes alone): a batch is cut before ' +
              'the item that would pass it.',
          ),
        breaker: breakerOptions
          .prefault({})
          .describe('Circuit breaker around Akosha; `timeoutMs` is also the timeout of each MCP request.'),
        cloudEnabled: bool
          .default(false)
          .describe(
            'Write a snapshot of sessions, messages, reflections and patterns every `sync.intervalMinutes` (a ' +
              '`create-snapshot` job on the `sync` queue, queued by processes that run workers). `session-buddy ' +
              'snapshot create` works whatever this says.',
          ),
        cloudProvider: z
          .enum(['filesystem', 'aws', 'gcp', 'azure'])
          .default('filesystem')
          .describe(
            'Where snapshots go: `filesystem` (`sync.dir`) or `aws` (any S3-compatible bucket: `sync.bucket`). ' +
              '`gcp` and `azure` are refused: no client for them is tested here (see docs/snapshots.md).',
          ),
        dir: z
          .string()
          .min(1)
          .default('data/snapshots')
          .describe('Folder of the `filesystem` provider (created on first snapshot).'),
        bucket: z.string().min(1).optional().describe('Bucket of the `aws` provider; required with it.'),
        prefix: z
          .string()
          .regex(/^[^\\]*$/, 'must not contain a backslash')
          .default('snapshots/')
          .describe('Key prefix of the `aws` provider.'),
        region: z.string().min(1).default('us-east-1').describe('Region of the `aws` provider.'),
        endpoint: z
          .string()
          .url()
          .optional()
          .describe(
            'Endpoint of an S3-compatible server (MinIO, Ceph, …); unset: AWS. Credentials come from the AWS ' +
              "SDK's environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, a profile or a role), never from settings.",
          ),
        forcePathStyle: bool
          .default(false)
          .describe('Path-style bucket addressing, which most S3-compatible servers need.'),
        intervalMinutes: z.coerce
          .number()
          .int()
          .min(1)
          .max(525_600)
          .default(1_440)
          .describe('How often (minutes) a snapshot is written when `sync.cloudEnabled`.'),
        retention: z.coerce
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(7)
          .describe('Snapshots kept: after each new one, the oldest beyond this many are deleted.'),
        compression: z
          .enum(['gzip', 'none'])
          .default('gzip')
          .describe('Compression of snapshot files (JSON lines), before encryption.'),
        encryptionKeys: z
          .string()
          .optional()
          .describe(
            'Snapshot encryption keys, `id:key,id:key` (each key 32 random bytes, base64 or 64 hex digits; ids of ' +
              "letters, digits, '_' and '-'). With a key, every snapshot file is written AES-256-GCM encrypted.",
          ),
        encryptionActiveKey: z
          .string()
          .optional()
          .describe(
            'The key id new snapshot files are encrypted with (and `keys rotate` re-encrypts to). Default: the ' +
              'last key in `sync.encryptionKeys`.',
          ),
      })
      .strict()
      .prefault({})
      .describe('Pushing memory to Akosha over MCP; snapshots of the primary store and their encryption at rest.'),
    admin: z
      .object({
        enabled: bool
          .default(false)
          .describe(
            'Serve the operator pages (/admin/dead-letters, /admin/analytics, and /admin/queues in standard mode).',
          ),
        allowRemote: bool
          .default(false)
          .describe(
            'Answer admin pages from non-loopback addresses too; refused at start-up unless auth.enabled (then, ' +
              'as always with auth on, the pages need a bearer token with the operator or admin role).',
          ),
      })
      .strict()
      .prefault({})
      .describe('Operator pages.'),
    summaries: z
      .object({
        llm: z
          .object({
            enabled: bool
              .default(false)
              .describe(
                'Also write an LLM summary of each session (in the summarize-session job, never on a request) ' +
                  'through an OpenAI-compatible chat completions API.',
              ),
            baseUrl: z
              .string()
              .url()
              .optional()
              .describe('Base URL of the OpenAI-compatible API, including the version (…/v1); required when enabled.'),
            model: z.string().min(1).optional().describe('Chat model name; required when enabled.'),
            apiKey: z.string().min(1).optional().describe('API key, sent as a bearer token.'),
            timeoutMs: z.coerce
              .number()
              .int()
              .min(100)
              .max(600_000)
              .default(60_000)
              .describe('How long (ms) one completion may take; slower calls fail and count against the breaker.'),
            maxInputChars: z.coerce
              .number()
              .int()
              .min(1_000)
              .max(2_000_000)
              .default(24_000)
              .describe(
                'Most transcript characters sent per session: the opening third and the latest two thirds are kept.',
              ),
          })
          .strict()
          .prefault({})
          .describe('The optional LLM summary, behind the `summary-llm` circuit breaker.'),
      })
      .strict()
      .prefault({})
      .describe('Stored session summaries.'),
    logging: z
      .object({
        level: z
          .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
          .default('info')
          .describe('pino log level; logs are JSON.'),
      })
      .strict()
      .prefault({})
      .describe('Logs.'),
    tracing: z
      .object({
        enabled: bool
          .default(false)
          .describe(
            'OpenTelemetry tracing: one trace from the request through the outbox, queue and worker to the provider ' +
              'call and the vector write (the SDK is loaded only when true).',
          ),
        otlpUrl: z
          .string()
          .url()
          .optional()
          .describe(
            'OTLP/HTTP (JSON) traces endpoint, e.g. `http://collector:4318/v1/traces`. (Default: none: spans are ' +
              'made and propagated but exported nowhere)',
          ),
        serviceName: z
          .string()
          .min(1)
          .max(200)
          .default('session-buddy')
          .describe('`service.name` of the spans; the process role (api, worker, cli) is `service.instance.role`.'),
        sampleRatio: z.coerce
          .number()
          .min(0)
          .max(1)
          .default(1)
          .describe("Share of new traces recorded (0 to 1); a trace started upstream follows its parent's decision."),
      })
      .strict()
      .prefault({})
      .describe('Distributed tracing (OpenTelemetry), off by default.'),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.database.driver === 'postgres' && !config.database.url) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'url'],
        message: 'is required when database.driver is postgres',
      });
    }
    for (const key of ['baseUrl', 'model'] as const) {
      if (config.summaries.llm.enabled && !config.summaries.llm[key]) {
        ctx.addIssue({
          code: 'custom',
          path: ['summaries', 'llm', key],
          message: 'is required when summaries.llm.enabled is true',
        });
      }
    }
    if (config.sync.cloudProvider === 'gcp' || config.sync.cloudProvider === 'azure') {
      ctx.addIssue({
        code: 'custom',
        path: ['sync', 'cloudProvider'],
        message: `${config.sync.cloudProvider} is not supported: no maintained client with a local test server is wired in; use filesystem or aws (S3-compatible)`,
      });
    }
    if (config.sync.cloudProvider === 'aws' && !config.sync.bucket) {
      ctx.addIssue({ code: 'custom', path: ['sync', 'bucket'], message: 'is required when sync.cloudProvider is aws' });
    }
    if (config.auth.enabled && !config.auth.secret && !config.auth.jwksFile && !config.auth.jwksUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'secret'],
        message:
          'is required when auth.enabled is true (set SESSION_BUDDY_AUTH__SECRET, or auth.jwksFile / auth.jwksUrl)',
      });
    }
    const analyticsFile = config.analytics.path;
    if (analyticsFile && analyticsFile !== ':memory:' && duckdbDatabaseName(analyticsFile) === ANALYTICS_FACT_SCHEMA) {
      ctx.addIssue({
        code: 'custom',
        path: ['analytics', 'path'],
        message:
          `a DuckDB file named ${ANALYTICS_FACT_SCHEMA}.* cannot hold the analytics: DuckDB names the database after ` +
          `the file, and that name collides with the '${ANALYTICS_FACT_SCHEMA}' schema inside; choose another file name ` +
          '(e.g. analytics.duckdb)',
      });
    }
    // Remote admin pages show every tenant's dead letters: never without a token (issue 10 finding 8).
    if (config.admin.enabled && config.admin.allowRemote && !config.auth.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['admin', 'allowRemote'],
        message:
          'admin.allowRemote=true needs auth.enabled=true (remote admin pages show every tenant; they then ask for ' +
          'an operator or admin token)',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

/**
 * The name DuckDB gives the database in a file: the file name up to its first dot, case-insensitive (`x/facts.duckdb`
 * and `FACTS.tar.duckdb` → `facts`). The analytics store keeps its tables in a schema named `facts`, so a database
 * named `facts` makes every `facts.<table>` ambiguous ("Ambiguous reference to catalog or schema").
 */
export function duckdbDatabaseName(path: string): string {
  return (path.split(/[/\\]/).pop() ?? '').split('.')[0]?.toLowerCase() ?? '';
}

/** The schema of the analytics fact tables; a DuckDB file may not be named after it (duckdbDatabaseName). */
export const ANALYTICS_FACT_SCHEMA = 'facts';

/** Keys whose values are secrets: accepted from the environment only, redacted when shown. */
export const SECRET_KEYS = new Set([
  'auth.secret',
  'metrics.token',
  'embedding.apiKey',
  'summaries.llm.apiKey',
  'sync.akoshaToken',
  'sync.encryptionKeys',
]);
