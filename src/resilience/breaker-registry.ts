import CircuitBreaker from 'opossum';
import { SessionBuddyError } from '../core/errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** The `breaker` section of the config (e.g. `embedding.breaker`). */
export interface BreakerOptions {
  /** A call slower than this counts as a failure. (Default: 15000) */
  timeoutMs: number;
  /** Failure percentage in the rolling window that opens the breaker. (Default: 50) */
  errorThresholdPercentage: number;
  /** Calls in the window before the breaker may open. (Default: 5) */
  volumeThreshold: number;
  /** How long an open breaker waits before letting one trial call through. (Default: 30000) */
  resetTimeoutMs: number;
  /** Length of the rolling statistics window; at least `timeoutMs`, so a timed-out call is counted with its peers. (Default: 60000) */
  rollingWindowMs: number;
  /**
   * Failures (errors or timeouts) in a row that open the breaker whatever the volume in the window: with few calls in
   * flight a hanging dependency never reaches `volumeThreshold`. 0 turns the rule off. (Default: 3)
   */
  consecutiveFailures?: number;
}

export const DEFAULT_BREAKER_OPTIONS: Readonly<BreakerOptions> = Object.freeze({
  timeoutMs: 15_000,
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 30_000,
  rollingWindowMs: 60_000,
  consecutiveFailures: 3,
});

/** How long a job refused by a half-open breaker (its one trial call in flight) waits before it asks again. */
export const HALF_OPEN_RECHECK_MS = 2_000;

/** Numeric encoding for a gauge: 0 closed, 1 half-open, 2 open. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = Object.freeze({
  closed: 0,
  'half-open': 1,
  open: 2,
});

/**
 * Thrown instead of calling a dependency whose breaker is open (or half-open with its one trial
 * call already in flight). Not a failure of the job: the queue defers it by `retryAfterMs` (until the
 * breaker half-opens) without spending an attempt (see `deferralOf` in src/jobs/job-errors.ts).
 */
export class BreakerOpenError extends SessionBuddyError {
  readonly dependency: string;
  /** When asking again makes sense: when the breaker half-opens (open) or its trial call is likely over. */
  readonly retryAfterMs: number;
  /** Marks the error as "try later, not a failure" for the queue (job-errors.ts `deferralOf`). */
  readonly deferJob = true;

  /**
   * @param openedBy the failure of the call that opened the breaker, when this error answers that very call: its
   *   message is kept, so the provider's own words (HTTP 500, timeout) reach the logs and dead letters.
   */
  constructor(dependency: string, state: BreakerState, retryAfterMs = HALF_OPEN_RECHECK_MS, openedBy?: unknown) {
    super(
      'unavailable',
      503,
      state === 'open'
        ? `${dependency} is unavailable: its circuit breaker is open${openedBy instanceof Error ? ` (opened by: ${openedBy.message})` : ''}`
        : `${dependency} is unavailable: its circuit breaker is half-open and a trial call is in flight`,
    );
    if (openedBy !== undefined) this.cause = openedBy;
    this.dependency = dependency;
    this.retryAfterMs = Math.max(0, Math.round(retryAfterMs));
  }
}

/** A call through a breaker took longer than its `timeoutMs`; counted as a failure. Retryable. */
export class BreakerTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  readonly dependency: string;

  constructor(dependency: string, timeoutMs: number) {
    super(`${dependency} did not answer within ${timeoutMs} ms`);
    this.name = 'BreakerTimeoutError';
    this.dependency = dependency;
  }
}

export function isBreakerOpenError(error: unknown): error is BreakerOpenError {
  return (error as Error | undefined)?.name === 'BreakerOpenError';
}

type Thunk = () => Promise<unknown>;

/** One dependency's breaker. Any async call can run through it; the breaker only counts outcomes. */
export class Breaker {
  readonly name: string;
  /** The opossum breaker, for its events and stats. */
  readonly circuit: CircuitBreaker<[Thunk], unknown>;

  private readonly timeoutMs: number;
  private readonly resetTimeoutMs: number;
  private openedAt = 0;
  private failuresInARow = 0;

  constructor(name: string, options: BreakerOptions) {
    this.name = name;
    this.timeoutMs = options.timeoutMs;
    this.resetTimeoutMs = options.resetTimeoutMs;
    this.circuit = new CircuitBreaker((fn: Thunk) => fn(), {
      name,
      timeout: options.timeoutMs,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeoutMs,
      // Never shorter than a call may last: a timed-out call would fall out of the window uncounted.
      rollingCountTimeout: Math.max(options.rollingWindowMs, options.timeoutMs),
      rollingCountBuckets: 10,
      // Percentiles and snapshots cost a timer and memory nobody reads.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    const limit = options.consecutiveFailures ?? DEFAULT_BREAKER_OPTIONS.consecutiveFailures ?? 0;
    // opossum emits 'failure' for errors and timeouts alike, 'success' for answers.
    this.circuit.on('success', () => {
      this.failuresInARow = 0;
    });
    this.circuit.on('failure', () => {
      this.failuresInARow += 1;
      if (limit > 0 && this.failuresInARow >= limit && !this.circuit.opened) this.circuit.open();
    });
    this.circuit.on('open', () => {
      this.openedAt = Date.now();
      this.failuresInARow = 0;
    });
  }

  /** How long a refused caller should wait: until the breaker half-opens, or a short while when it is half-open. */
  retryAfterMs(): number {
    if (this.circuit.opened) return Math.max(0, this.openedAt + this.resetTimeoutMs - Date.now());
    return HALF_OPEN_RECHECK_MS;
  }

  /** The error for a call refused now; `openedBy`: the failure of a call that opened the breaker (see BreakerOpenError). */
  refusal(openedBy?: unknown): BreakerOpenError {
    return new BreakerOpenError(this.name, this.state, this.retryAfterMs(), openedBy);
  }

  get state(): BreakerState {
    if (this.circuit.opened) return 'open';
    if (this.circuit.halfOpen) return 'half-open';
    return 'closed';
  }

  /**
   * Runs `fn` under the breaker. Rejects with BreakerOpenError without calling `fn` when the breaker
   * is open; a call slower than `timeoutMs` rejects with BreakerTimeoutError and counts as a
   * failure (the call itself is not cancelled: give it its own timeout too).
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const state = this.state;
    try {
      return (await this.circuit.fire(fn)) as T;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EOPENBREAKER') throw new BreakerOpenError(this.name, state, this.retryAfterMs());
      if (code === 'ETIMEDOUT' && CircuitBreaker.isOurError(error as Error)) {
        throw new BreakerTimeoutError(this.name, this.timeoutMs);
      }
      throw error;
    }
  }
}

export type BreakerStateListener = (dependency: string, state: BreakerState) => void;

/**
 * One breaker per external dependency (embedding provider, Akosha, cloud storage), created on first
 * use. Metrics and /readyz read `states()`; `onStateChange` reports every transition.
 */
export class BreakerRegistry {
  private readonly breakers = new Map<string, Breaker>();
  private readonly listeners = new Set<BreakerStateListener>();
  private readonly defaults: BreakerOptions;

  /** @param defaults options for breakers created without their own. (Default: DEFAULT_BREAKER_OPTIONS) */
  constructor(defaults: BreakerOptions = DEFAULT_BREAKER_OPTIONS) {
    this.defaults = { ...defaults };
  }

  /**
   * The breaker of `dependency`, created with `options` (or the registry defaults) on first call.
   * Later calls return the same breaker and ignore `options`.
   */
  get(dependency: string, options?: BreakerOptions): Breaker {
    let breaker = this.breakers.get(dependency);
    if (!breaker) {
      const created = new Breaker(dependency, options ?? this.defaults);
      created.circuit.on('open', () => this.emit(dependency, 'open'));
      created.circuit.on('halfOpen', () => this.emit(dependency, 'half-open'));
      created.circuit.on('close', () => this.emit(dependency, 'closed'));
      this.breakers.set(dependency, created);
      breaker = created;
    }
    return breaker;
  }

  states(): Record<string, BreakerState> {
    const states: Record<string, BreakerState> = {};
    for (const [name, breaker] of this.breakers) states[name] = breaker.state;
    return states;
  }

  /** Calls `listener` on every state transition of every breaker. Returns an unsubscribe function. */
  onStateChange(listener: BreakerStateListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Stops every breaker's timers; later calls through them fail. */
  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.circuit.shutdown();
    this.breakers.clear();
    this.listeners.clear();
  }

  private emit(dependency: string, state: BreakerState): void {
    for (const listener of this.listeners) {
      try {
        listener(dependency, state);
      } catch {
        // A failing metrics hook must not break the call that changed the state.
      }
    }
  }
}
