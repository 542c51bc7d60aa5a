import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

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
export const SECRET_KEYS = new Set(['auth.secret']);
