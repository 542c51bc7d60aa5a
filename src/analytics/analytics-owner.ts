import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/config.schema.js';
import type { Logger } from '../core/logger.js';
import { AnalyticsLockedError } from './analytics.store.js';

/** Where the analytics owner can be reached, as registered in Redis. */
export interface OwnerInfo {
  url: string;
  pid: number;
  host: string;
  /** When this process became the owner (ISO 8601). */
  since: string;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The URL other processes reach this one's listener at: `analytics.advertiseUrl`, else `http://<server.host>:<port>`
 * with a wildcard listen address (0.0.0.0, ::) replaced by the host name.
 */
export function advertisedUrl(config: Config, port: number): string {
  if (config.analytics.advertiseUrl) return config.analytics.advertiseUrl.replace(/\/+$/, '');
  const host = WILDCARD_HOSTS.has(config.server.host) ? hostname() : config.server.host;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** How long start-up waits for the registry's Redis connection before going on (commands then fail fast). */
const CONNECT_WAIT_MS = 3000;

/** Compare-and-delete: a process removes its own registration, never a successor's. */
const DELETE_IF_MINE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/**
 * The analytics owner's registration in Redis: one key `<redis.prefix>:analytics:owner` holding OwnerInfo as JSON,
 * with a TTL the owner keeps refreshing; it disappears on clean close (deleted) or soon after the owner dies.
 */
export class OwnerRegistry {
  readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:analytics:owner`;
  }

  /** Connects to `url` (commands fail at once while Redis is down rather than queue). */
  static async connect(url: string, prefix: string): Promise<OwnerRegistry> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    redis.on('error', () => undefined);
    // Without an offline queue, a command sent before the connection is ready fails ("Stream isn't writeable"):
    // wait for it, briefly, so the first /readyz answers about the owner, not about our own start-up.
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        redis.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, CONNECT_WAIT_MS);
      redis.once('ready', done);
      redis.once('error', done);
    });
    return new OwnerRegistry(redis, prefix);
  }

  async register(info: OwnerInfo, ttlMs: number): Promise<void> {
    await this.redis.set(this.key, JSON.stringify(info), 'PX', ttlMs);
  }

  async unregister(info: OwnerInfo): Promise<void> {
    await this.redis.eval(DELETE_IF_MINE, 1, this.key, JSON.stringify(info));
  }

  /** The registered owner, or undefined when none is. */
  async lookup(): Promise<OwnerInfo | undefined> {
    const value = await this.redis.get(this.key);
    return value ? (JSON.parse(value) as OwnerInfo) : undefined;
  }

  close(): void {
    this.redis.disconnect();
  }
}

export interface AnalyticsOwnershipOptions {
  /** Opens the DuckDB file read-write; rejects with AnalyticsLockedError while another process holds it. */
  acquire: () => Promise<unknown>;
  /** Called once, when this process becomes the owner (start consuming the `analytics` queue). */
  onAcquired: () => void;
  /** Where to register (bullmq backend); none: ownership is only local (lite, a file per process). */
  registry?: OwnerRegistry;
  /** How often a standby retries and the owner refreshes its registration (TTL: three times this). */
  retryMs: number;
  logger: Logger;
}

export type OwnerRole = 'starting' | 'owner' | 'standby';

/**
 * One process per DuckDB file is the analytics owner: it holds the file read-write, consumes the `analytics`
 * queue and serves the other processes' analytics reads. A process configured for `analytics` tries to open the
 * file at start; while another holds it, it is a standby and tries again every `retryMs`, so when the owner dies
 * (its lock goes with it) a standby takes over without manual steps. The owner registers where it can be reached
 * once `advertise(url)` is called (after its listener started).
 */
export class AnalyticsOwnership {
  private state: OwnerRole = 'starting';
  private timer: NodeJS.Timeout | undefined;
  private info: OwnerInfo | undefined;
  private url: string | undefined;
  private since = '';
  private attempt: Promise<void> | undefined;
  private lastError = '';
  private closed = false;

  constructor(private readonly options: AnalyticsOwnershipOptions) {}

  get role(): OwnerRole {
    return this.state;
  }

  /** Why this process is a standby (the lock holder's message), for /readyz. */
  get standbyReason(): string {
    return this.lastError;
  }

  /** First attempt now; then, until acquired, one every `retryMs`; once acquired, the registration refresh. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.retryMs);
    this.timer.unref();
  }

  /** Registers `url` as where this process serves analytics reads (now if it is the owner, else once it is). */
  async advertise(url: string): Promise<void> {
    this.url = url;
    if (this.state === 'owner') await this.register();
  }

  /** Stops trying and removes this process's registration (a successor's is left alone). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.attempt?.catch(() => undefined);
    if (this.info) await this.options.registry?.unregister(this.info).catch(() => undefined);
  }

  private tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.attempt ??= (this.state === 'owner' ? this.register() : this.tryAcquire()).finally(() => {
      this.attempt = undefined;
    });
    return this.attempt;
  }

  private async tryAcquire(): Promise<void> {
    const { logger } = this.options;
    try {
      await this.options.acquire();
    } catch (error) {
      const message = (error as Error).message;
      if (this.state === 'starting' || message !== this.lastError) {
        if (error instanceof AnalyticsLockedError) logger.info({ reason: message }, 'analytics standby');
        else logger.warn({ err: message }, 'analytics standby: could not open the analytics database');
      }
      this.lastError = message;
      this.state = 'standby';
      return;
    }
    if (this.closed) return;
    this.since = new Date().toISOString();
    logger.info({ pid: process.pid }, 'analytics owner: this process holds the analytics database');
    this.state = 'owner';
    this.lastError = '';
    this.options.onAcquired();
    await this.register();
  }

  private async register(): Promise<void> {
    const { registry, retryMs, logger } = this.options;
    if (!registry || this.url === undefined || this.closed) return;
    this.info ??= { url: this.url, pid: process.pid, host: hostname(), since: this.since };
    try {
      await registry.register(this.info, retryMs * 3);
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'analytics owner: could not register in Redis');
    }
  }
}

/** `session_buddy_analytics_owner`: 1 while this process holds the analytics database, else 0. */
export function registerOwnerGauge(registry: Registry, isOwner: () => boolean): void {
  new Gauge({
    name: 'session_buddy_analytics_owner',
    help: 'Whether this process is the analytics owner (holds the DuckDB file, consumes the analytics queue): 1 or 0',
    registers: [registry],
    collect() {
      this.set(isOwner() ? 1 : 0);
    },
  });
}
