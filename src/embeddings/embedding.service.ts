import { type Breaker, isBreakerOpenError } from '../resilience/breaker-registry.js';
import type { EmbeddingProvider } from './embedding.port.js';
import { EmbeddingProviderError, isRejectedInput } from './http-embedding.client.js';
import { chunkText } from './text-chunker.js';
import { normalize, weightedMean } from './vector-math.js';

export interface EmbeddingServiceOptions {
  /** Most texts per provider call. (Default: 32) */
  batchSize?: number;
  /** While a provider call is in flight, how long a text waits for others to fill a batch. (Default: 10) */
  batchWaitMs?: number;
  /** Texts longer than this are embedded in chunks and averaged. (Default: 2000) */
  chunkChars?: number;
  /**
   * Provider calls in flight at once; texts arriving meanwhile wait and are grouped by length.
   * 1 suits a single-threaded local model (the next batch is chosen from everything waiting);
   * HTTP servers can work on several. (Default: 2)
   */
  maxInFlight?: number;
  /**
   * Longest text in a batch / shortest (texts under 32 characters count as 32): a text that would
   * stretch a batch further waits for another one. Infinity fills batches regardless of length.
   * (Default: 2)
   */
  maxLengthRatio?: number;
  /** The breaker of `provider.dependency`; required when the provider has a dependency. */
  breaker?: Breaker;
  /** Called after every provider call, for metrics. */
  onBatch?: (event: EmbeddingBatchEvent) => void;
}

export interface EmbedOptions {
  /** A caller waits interactively (a search query): embedded before background work. (Default: false) */
  urgent?: boolean;
}

export interface EmbeddingBatchEvent {
  model: string;
  texts: number;
  durationMs: number;
  /** Set when the call failed (BreakerOpenError when the breaker refused it). */
  error?: unknown;
}

const SHORT_TEXT_CHARS = 32;

interface Item {
  text: string;
  /** A caller is waiting on it interactively (a search query): it goes before background work. */
  urgent: boolean;
  enqueuedAt: number;
  resolve(vector: Float32Array): void;
  reject(error: unknown): void;
}

/**
 * The one way to embed texts. Wraps a provider with:
 * - micro-batching: concurrent `embed` calls (typically one text per job) are coalesced into
 *   provider calls of up to `batchSize` texts; an idle provider gets texts at once, a busy one gets them
 *   after at most `batchWaitMs`; a batch is the oldest waiting text plus texts of similar length (see
 *   `maxLengthRatio`); urgent texts (search queries) go first, in a batch of their own, so a query waits for
 *   at most the batches in flight, never for a backlog of background jobs;
 * - chunking: a text longer than `chunkChars` is embedded in chunks whose vectors are averaged,
 *   weighted by length;
 * - the dependency's circuit breaker around every provider call: while it is open, `embed`
 *   rejects at once with BreakerOpenError, which tells the queue to defer the job until it half-opens;
 * - input isolation: blank text is never sent, and a batch the provider refuses as input (HTTP 400/413/422) is
 *   halved until the refused text is alone; the refusal is that text's failure, never the breaker's.
 * Every vector returned is L2-normalised, so cosine similarity is a dot product.
 */
export class EmbeddingService {
  private readonly batchSize: number;
  private readonly batchWaitMs: number;
  private readonly chunkChars: number;
  private readonly maxInFlight: number;
  private readonly maxLengthRatio: number;
  private readonly breaker: Breaker | undefined;
  private readonly onBatch: ((event: EmbeddingBatchEvent) => void) | undefined;
  private pending: Item[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly provider: EmbeddingProvider,
    options: EmbeddingServiceOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 32;
    this.batchWaitMs = options.batchWaitMs ?? 10;
    this.chunkChars = options.chunkChars ?? 2_000;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxLengthRatio = options.maxLengthRatio ?? 2;
    this.breaker = options.breaker;
    this.onBatch = options.onBatch;
    if (provider.dependency && !this.breaker) {
      throw new Error(`embedding provider ${provider.model} calls '${provider.dependency}': pass its breaker`);
    }
  }

  get model(): string {
    return this.provider.model;
  }

  get dimension(): number {
    return this.provider.dimension;
  }

  /**
   * One unit vector per text, in order. Rejects with the first failure of any text. `urgent`: a caller waits
   * interactively (a search query), so these texts are embedded before background work already waiting.
   */
  async embed(texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    this.assertUsable();
    if (texts.length === 0) return [];
    const urgent = options.urgent === true;
    return Promise.all(texts.map((text) => this.embedOne(text, urgent)));
  }

  /**
   * Each text's own outcome, in order: one text the provider refuses (`isRejectedInput`) fails alone while the
   * others get their vectors. Throws (nothing embedded) only when the service is closed or the breaker is open.
   */
  async embedEach(texts: string[]): Promise<PromiseSettledResult<Float32Array>[]> {
    this.assertUsable();
    return Promise.allSettled(texts.map((text) => this.embedOne(text, false)));
  }

  private assertUsable(): void {
    if (this.closed) throw new Error('embedding service is closed');
    if (this.breaker?.state === 'open') throw this.breaker.refusal();
  }

  /** Fails texts still waiting and closes the provider, which ends calls in flight. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const waiting = this.pending;
    this.pending = [];
    const error = new Error('embedding service is closed');
    for (const item of waiting) item.reject(error);
    await this.provider.close();
  }

  private async embedOne(text: string, urgent: boolean): Promise<Float32Array> {
    // Never sent: providers refuse empty input (OpenAI answers 400), and blank text means nothing to search for.
    if (text.trim() === '') {
      throw new EmbeddingProviderError(`${this.provider.model}: the text is blank: there is nothing to embed`, {
        inputRejected: true,
      });
    }
    const chunks = chunkText(text, this.chunkChars);
    if (chunks.length === 1) return this.enqueue(chunks[0] as string, urgent);
    const vectors = await Promise.all(chunks.map((chunk) => this.enqueue(chunk, urgent)));
    return weightedMean(
      vectors,
      chunks.map((chunk) => chunk.length),
    );
  }

  private enqueue(text: string, urgent: boolean): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.pending.push({ text, urgent, enqueuedAt: performance.now(), resolve, reject });
      // Decide once per tick, so texts submitted together (one call, or many callers at once) batch together.
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.schedule();
        });
      }
    });
  }

  private schedule(): void {
    if (this.closed) return;
    // A half-open breaker lets one trial call through; a second call in flight would be refused.
    const limit = this.breaker?.state === 'half-open' ? 1 : this.maxInFlight;
    while (this.inFlight < limit && this.pending.length > 0) {
      const oldest = this.pending[0] as Item;
      const urgent = this.pending.some((item) => item.urgent);
      // Idle: send at once, so a lone text (a search query, one reflection) pays no wait. Busy: a partial batch
      // fills for up to batchWaitMs while calls are in flight. Texts submitted in one tick still go together.
      if (!urgent && this.pending.length < this.batchSize && this.inFlight > 0) {
        const waited = performance.now() - oldest.enqueuedAt;
        if (waited < this.batchWaitMs) {
          this.wakeIn(this.batchWaitMs - waited);
          return;
        }
      }
      void this.run(urgent ? this.takeUrgent() : this.takeBatch());
    }
  }

  private wakeIn(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.schedule();
      },
      Math.max(1, Math.ceil(ms)),
    );
  }

  /**
   * The oldest waiting text (so none starves) plus its neighbours in length, the closer one first,
   * while the batch holds at most `batchSize` texts and its longest text is at most
   * `maxLengthRatio` times its shortest. Models pad a batch to its longest text, so one long text
   * among short ones makes them all pay its price (USE lite: 32 random texts cost ~2.5x 32 similar ones).
   */
  private takeBatch(): Item[] {
    const oldest = this.pending[0] as Item;
    const byLength = [...this.pending].sort((a, b) => a.text.length - b.text.length);
    // Below a few dozen characters padding costs next to nothing: count such texts as equally long.
    const len = (i: number): number => Math.max(SHORT_TEXT_CHARS, (byLength[i] as Item).text.length);
    let lo = byLength.indexOf(oldest);
    let hi = lo;
    while (hi - lo + 1 < this.batchSize) {
      const withShorter = lo > 0 ? len(hi) / len(lo - 1) : Number.POSITIVE_INFINITY;
      const withLonger = hi < byLength.length - 1 ? len(hi + 1) / len(lo) : Number.POSITIVE_INFINITY;
      if (Math.min(withShorter, withLonger) > this.maxLengthRatio) break;
      if (withShorter <= withLonger) lo--;
      else hi++;
    }
    const batch = byLength.slice(lo, hi + 1);
    const taken = new Set(batch);
    this.pending = this.pending.filter((item) => !taken.has(item));
    return batch;
  }

  /** The urgent texts, oldest first, up to `batchSize`: a small batch, answered as soon as the provider can. */
  private takeUrgent(): Item[] {
    const batch = this.pending.filter((item) => item.urgent).slice(0, this.batchSize);
    const taken = new Set(batch);
    this.pending = this.pending.filter((item) => !taken.has(item));
    return batch;
  }

  private async run(batch: Item[]): Promise<void> {
    this.inFlight++;
    try {
      await this.call(batch);
    } finally {
      this.inFlight--;
      // After the callers just answered have had their turn: their next texts join the choice.
      setImmediate(() => this.schedule());
    }
  }

  /**
   * One provider call for `batch`. When the provider refuses the input (a 4xx about one text), the batch is halved
   * and each half sent again, one after the other, until the refused text is alone: only it fails.
   */
  private async call(batch: Item[]): Promise<void> {
    const started = performance.now();
    const texts = batch.map((item) => item.text);
    let error: unknown;
    let vectors: Float32Array[] = [];
    try {
      // A refused input (HTTP 400 about one text) is the provider answering: the breaker sees an answer, never a
      // failure, so one bad text cannot open it for everyone. The refusal is raised again outside the breaker.
      const call = async (): Promise<{ vectors: Float32Array[] } | { refused: unknown }> => {
        try {
          return { vectors: await this.provider.embed(texts) };
        } catch (caught) {
          if (isRejectedInput(caught)) return { refused: caught };
          throw caught;
        }
      };
      const answer = await (this.breaker ? this.breaker.run(call) : call());
      if ('refused' in answer) throw answer.refused;
      vectors = answer.vectors;
      if (vectors.length !== batch.length || vectors.some((v) => v.length !== this.provider.dimension)) {
        throw new Error(
          `${this.provider.model} returned ${vectors.length} vectors of ${vectors[0]?.length} for ${batch.length} texts (expected dimension ${this.provider.dimension})`,
        );
      }
    } catch (caught) {
      error = caught;
    }
    try {
      this.onBatch?.({
        model: this.provider.model,
        texts: batch.length,
        durationMs: performance.now() - started,
        error,
      });
    } catch {
      // A failing metrics hook must not stall the queue.
    }
    if (error === undefined) {
      batch.forEach((item, i) => {
        item.resolve(normalize(vectors[i] as Float32Array));
      });
    } else if (batch.length > 1 && isRejectedInput(error) && !this.closed) {
      const half = Math.ceil(batch.length / 2);
      await this.call(batch.slice(0, half));
      await this.call(batch.slice(half));
    } else {
      for (const item of batch) item.reject(this.asDeferral(error));
    }
  }

  /**
   * A provider failure after which the breaker is open (this call opened it, or was the half-open trial) is the
   * dependency's outage, not the texts' failure: their jobs are deferred like refused ones (BreakerOpenError),
   * without spending an attempt, and the message keeps the provider's words. Other failures pass as they are.
   */
  private asDeferral(error: unknown): unknown {
    const breaker = this.breaker;
    if (breaker?.state !== 'open' || isRejectedInput(error) || isBreakerOpenError(error)) return error;
    return breaker.refusal(error);
  }
}
