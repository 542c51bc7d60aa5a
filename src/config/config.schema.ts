import { z } from 'zod';

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

const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
export const DEFAULT_MCP_HOSTS: string[] = LOCAL_HOSTS;
export const DEFAULT_MCP_ORIGINS: string[] = ['http', 'https'].flatMap((scheme) =>
  LOCAL_HOSTS.map((host) => `${scheme}://${host}`),
);

export const QUEUE_NAMES = ['embedding', 'sync', 'analytics'] as const;

const retryPolicy = z
  .object({
    /** Attempts in all, the first included. (Default: 5) */
    attempts: z.coerce.number().int().min(1).max(100).default(5),
    /** Delay before the second attempt; doubles each time. (Default: 1000) */
    backoffMs: z.coerce.number().int().min(0).max(3_600_000).default(1_000),
    /** Longest delay between attempts. (Default: 300000) */
    maxDelayMs: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
    /** Random share of each delay (0 none, 1 full jitter). (Default: 0.5) */
    jitter: z.coerce.number().min(0).max(1).default(0.5),
  })
  .strict();

const breakerOptions = z
  .object({
    /** A call slower than this counts as a failure. (Default: 30000) */
    timeoutMs: z.coerce.number().int().min(1).max(600_000).default(30_000),
    /** Failure percentage in the rolling window that opens the breaker. (Default: 50) */
    errorThresholdPercentage: z.coerce.number().min(1).max(100).default(50),
    /** Calls in the window before the breaker may open. (Default: 5) */
    volumeThreshold: z.coerce.number().int().min(0).default(5),
    /** How long an open breaker waits before letting a trial call through. (Default: 30000) */
    resetTimeoutMs: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
    /** Length of the rolling statistics window. (Default: 10000) */
    rollingWindowMs: z.coerce.number().int().min(100).max(600_000).default(10_000),
  })
  .strict();

/**
 * The one configuration schema. Every key documents its default; environment variables reach a key
 * as `SESSION_BUDDY_<KEY>` with nested keys joined by `__` (e.g. `SESSION_BUDDY_DATABASE__URL`).
 */
export const configSchema = z
  .object({
    /** Operating mode: `lite` (no services) or `standard` (PostgreSQL + Redis). (Default: lite) */
    mode: z.enum(['lite', 'standard']).default('lite'),
    /** Human-readable server name reported by health and MCP. (Default: Session-Buddy) */
    serverName: z.string().min(1).default('Session-Buddy'),
    server: z
      .object({
        /** (Default: 127.0.0.1) */
        host: z.string().min(1).default('127.0.0.1'),
        /** (Default: 8678) */
        port: port.default(8678),
        /** Largest accepted request body in bytes. (Default: 1048576) */
        bodyLimitBytes: z.coerce
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024)
          .default(1024 * 1024),
        /** How long shutdown waits for in-flight requests before closing them. (Default: 10000) */
        shutdownTimeoutMs: z.coerce.number().int().min(0).max(120_000).default(10_000),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        /** `sqlite` (lite default) or `postgres` (standard default). */
        driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
        /** PostgreSQL connection URL; a password here must come from the environment. */
        url: z.string().min(1).optional(),
        /** SQLite database file; `:memory:` keeps everything in memory. (Default: :memory:) */
        sqlitePath: z.string().min(1).default(':memory:'),
        /** PostgreSQL pool size. (Default: 10) */
        poolMax: z.coerce.number().int().min(1).max(200).default(10),
        /** Apply migrations at start-up (SQLite always does). (Default: false) */
        migrateOnStart: bool.default(false),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        /** (Default: redis://127.0.0.1:6379) */
        url: z.string().min(1).default('redis://127.0.0.1:6379'),
        /** Key prefix for everything Session-Buddy stores in Redis. (Default: sb) */
        prefix: z.string().min(1).default('sb'),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** Require a bearer JWT on every request. (Default: false) */
        enabled: bool.default(false),
        /** HS256 secret; environment only (`SESSION_BUDDY_AUTH__SECRET`). */
        secret: z.string().min(32, 'must be at least 32 characters').optional(),
        /** (Default: HS256) */
        algorithm: z.enum(['HS256', 'HS384', 'HS512']).default('HS256'),
        /** Token lifetime for tokens this server issues. (Default: 60) */
        expireMinutes: z.coerce.number().int().min(1).default(60),
        /** Tenant used when auth is off, or when a token names none. (Default: default) */
        defaultTenant: z.string().min(1).max(128).default('default'),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        /** Largest message content in characters. (Default: 200000) */
        messageContentChars: z.coerce.number().int().min(1).default(200_000),
        /** Most messages in one batch request. (Default: 500) */
        batchMessages: z.coerce.number().int().min(1).max(10_000).default(500),
        /** Largest metadata object, serialised, in bytes. (Default: 16384) */
        metadataBytes: z.coerce.number().int().min(2).default(16_384),
        /** Largest page a list request may ask for. (Default: 200) */
        pageSize: z.coerce.number().int().min(1).max(10_000).default(200),
      })
      .strict()
      .prefault({}),
    mcp: z
      .object({
        /** Serve MCP over streamable HTTP at `/mcp` on the API port (`start --mcp` sets it too). (Default: false) */
        enabled: bool.default(false),
        /**
         * Origins a browser may call `/mcp` from (DNS-rebinding protection); requests without an Origin header
         * pass. `scheme://host` allows any port, `scheme://host:port` one port, `*` any origin.
         * (Default: http and https on localhost, 127.0.0.1 and [::1])
         */
        allowedOrigins: list.default(DEFAULT_MCP_ORIGINS),
        /**
         * Host header values `/mcp` answers to; `host` allows any port, `host:port` one port, `*` any host.
         * Add the public name when the server sits behind a proxy. (Default: localhost, 127.0.0.1, [::1])
         */
        allowedHosts: list.default(DEFAULT_MCP_HOSTS),
      })
      .strict()
      .prefault({}),
    queue: z
      .object({
        /** Retry policy per queue: attempts in all, exponential backoff with jitter, capped. */
        embedding: retryPolicy.prefault({}),
        sync: retryPolicy.prefault({}),
        analytics: retryPolicy.prefault({}),
      })
      .strict()
      .prefault({}),
    workers: z
      .object({
        /** Run the job workers inside the API process (`start --workers`; lite mode always does). (Default: false) */
        inProcess: bool.default(false),
        /** Queues a worker consumes. (Default: embedding, sync, analytics) */
        queues: z
          .union([z.array(z.enum(QUEUE_NAMES)), z.string().transform((v) => v.split(',').map((q) => q.trim()))])
          .pipe(z.array(z.enum(QUEUE_NAMES)).min(1))
          .default([...QUEUE_NAMES]),
        /**
         * Jobs processed at once per queue and process. Embedding jobs mostly wait for their batch, so this
         * should be at least twice `embedding.batchSize` for batches to fill. (Default: 64)
         */
        concurrency: z.coerce.number().int().min(1).max(512).default(64),
        /** How long shutdown waits for in-flight jobs before leaving them to other workers. (Default: 15000) */
        shutdownTimeoutMs: z.coerce.number().int().min(0).max(300_000).default(15_000),
        /** BullMQ: how long an active job's lock lasts; a dead worker's jobs wait this long. (Default: 30000) */
        lockDurationMs: z.coerce.number().int().min(1000).max(600_000).default(30_000),
        /** BullMQ: how often workers requeue active jobs whose worker died. (Default: 30000) */
        stalledIntervalMs: z.coerce.number().int().min(500).max(600_000).default(30_000),
        /** Port of the worker's /healthz, /readyz and /metrics listener (0: any free port). (Default: 8679) */
        port: port.default(8679),
      })
      .strict()
      .prefault({}),
    outbox: z
      .object({
        /** How often an idle relay looks for unpublished jobs written by other processes. (Default: 250) */
        pollIntervalMs: z.coerce.number().int().min(10).max(60_000).default(250),
        /** Rows published per round trip. (Default: 500) */
        batchSize: z.coerce.number().int().min(1).max(10_000).default(500),
      })
      .strict()
      .prefault({}),
    embedding: z
      .object({
        /** `local` (USE lite, 512-d, shipped), `ollama`, `openai` (any compatible server) or `hash` (not semantic). */
        provider: z.enum(['local', 'ollama', 'openai', 'hash']).default('local'),
        /** Model name for ollama/openai. (Default: nomic-embed-text) */
        model: z.string().min(1).default('nomic-embed-text'),
        /** Base URL for ollama (http://127.0.0.1:11434) or openai-compatible servers (…/v1). */
        url: z.string().url().optional(),
        /** API key for openai-compatible servers; environment only (SESSION_BUDDY_EMBEDDING__API_KEY). */
        apiKey: z.string().min(1).optional(),
        /** Expected dimension; vectors of another size are rejected. Hash provider: its size. (Default: per provider) */
        dimension: z.coerce.number().int().min(2).max(8192).optional(),
        /** Texts per provider call. (Default: 32) */
        batchSize: z.coerce.number().int().min(1).max(2048).default(32),
        /** While a provider call is in flight, how long texts wait to fill a batch; an idle provider gets a text at once. (Default: 10) */
        batchWaitMs: z.coerce.number().int().min(0).max(5_000).default(10),
        /**
         * Priority of the local model's thread, as a nice value (0 normal … 19 lowest; Linux). Above 0, requests get
         * the CPU first when both want it and embedding catches up when requests pause. (Default: 10)
         */
        localNice: z.coerce.number().int().min(0).max(19).default(10),
        /** Texts longer than this many characters are embedded in chunks and averaged. (Default: 2000) */
        chunkChars: z.coerce.number().int().min(100).max(100_000).default(2_000),
        breaker: breakerOptions.prefault({}),
        /**
         * How often stored messages without a vector of the active model are queued again. This is what
         * makes jobs lost with a Redis that keeps nothing on disk harmless. 0 turns it off. (Default: 60000)
         */
        reconcileIntervalMs: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
        /** Messages younger than this are left to their own job. (Default: 30000) */
        reconcileGraceMs: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
        /** How far back the reconciler looks. (Default: 86400000, one day) */
        reconcileLookbackMs: z.coerce.number().int().min(1000).default(86_400_000),
      })
      .strict()
      .prefault({}),
    patterns: z
      .object({
        /**
         * How often processes that run workers queue pattern detection for every tenant active since the last
         * run (one job per tenant and period, however many processes). 0 turns it off. (Default: 30)
         */
        detectEveryMinutes: z.coerce.number().int().min(0).max(10_080).default(30),
        /** Triggers (REST, MCP, CLI) for the same tenant and project within this window are one job. (Default: 60) */
        triggerWindowSeconds: z.coerce.number().int().min(1).max(86_400).default(60),
        /** Cosine similarity at or above which two items join one cluster. (Default: 0.8) */
        similarityThreshold: z.coerce.number().min(0.5).max(1).default(0.8),
        /** Distinct sessions a cluster or an error must span to be a pattern. (Default: 3) */
        minSessions: z.coerce.number().int().min(2).max(1_000).default(3),
        /**
         * Most recent vectors (messages and reflections) one run clusters. A run does at most maxVectors × maxClusters ×
         * dimension multiply-adds (defaults, 384 dimensions: about 2·10⁹, a second or two of one core), in slices
         * that yield to the event loop. (Default: 5000)
         */
        maxVectors: z.coerce.number().int().min(10).max(20_000).default(5_000),
        /** Clusters one run keeps at most; once reached, items that join none are dropped as noise. (Default: 1000) */
        maxClusters: z.coerce.number().int().min(10).max(2_000).default(1_000),
        /** Most recent messages with error text one run reads. (Default: 5000) */
        maxErrorMessages: z.coerce.number().int().min(10).max(50_000).default(5_000),
        /** Only items this recent are considered (at least 1: runs read recent items by creation time). (Default: 30) */
        lookbackDays: z.coerce.number().int().min(1).max(3_650).default(30),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({
        /** Serve the operator pages (/admin/dead-letters, and /admin/queues in standard mode). (Default: false) */
        enabled: bool.default(false),
        /** Answer admin pages from non-loopback addresses too (put auth in front first). (Default: false) */
        allowRemote: bool.default(false),
      })
      .strict()
      .prefault({}),
    logging: z
      .object({
        /** (Default: info) */
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
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
    if (config.auth.enabled && !config.auth.secret) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'secret'],
        message: 'is required when auth.enabled is true (set SESSION_BUDDY_AUTH__SECRET)',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

/** Keys whose values are secrets: accepted from the environment only, redacted when shown. */
export const SECRET_KEYS = new Set(['auth.secret', 'embedding.apiKey']);
