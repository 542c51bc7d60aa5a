import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EmbeddingProvider } from '../../src/embeddings/embedding.port.js';
import { EmbeddingService } from '../../src/embeddings/embedding.service.js';
import { HashEmbeddingProvider, hashEmbed } from '../../src/embeddings/hash.provider.js';
import { OllamaEmbeddingProvider } from '../../src/embeddings/ollama.provider.js';
import { chunkText } from '../../src/embeddings/text-chunker.js';
import { weightedMean } from '../../src/embeddings/vector-math.js';
import { type BreakerOptions, BreakerRegistry, type BreakerState } from '../../src/resilience/breaker-registry.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';

/** The hash provider, recording the texts of every call. */
class RecordingProvider implements EmbeddingProvider {
  readonly calls: string[][] = [];
  private readonly inner = new HashEmbeddingProvider({ dimension: 16 });
  readonly model = this.inner.model;
  readonly dimension = this.inner.dimension;

  async embed(texts: string[]): Promise<Float32Array[]> {
    this.calls.push([...texts]);
    return this.inner.embed(texts);
  }

  async close(): Promise<void> {}
}

describe('EmbeddingService batching', () => {
  it('coalesces 100 concurrent single-text calls into a few batches and maps each result to its caller', async () => {
    const provider = new RecordingProvider();
    const service = new EmbeddingService(provider, {
      batchSize: 32,
      batchWaitMs: 5,
      maxLengthRatio: Number.POSITIVE_INFINITY,
    });
    const texts = Array.from({ length: 100 }, (_, i) => `message ${i}: ${'word '.repeat(i % 7)}`);

    const results = await Promise.all(texts.map((text) => service.embed([text])));

    expect(provider.calls.length).toBeLessThanOrEqual(5);
    for (const call of provider.calls) expect(call.length).toBeLessThanOrEqual(32);
    expect(provider.calls.flat().sort()).toEqual([...texts].sort());
    results.forEach((result, i) => {
      expect(result).toHaveLength(1);
      expect(result[0]).toEqual(hashEmbed(texts[i] as string, 16));
    });
    await service.close();
  });

  it('keeps the order of texts within one call', async () => {
    const service = new EmbeddingService(new RecordingProvider(), { batchSize: 4, batchWaitMs: 0 });
    const texts = ['a long one with several words', 'b', 'medium text', 'c c', 'the longest text of them all, really'];
    expect(await service.embed(texts)).toEqual(texts.map((t) => hashEmbed(t, 16)));
    expect(await service.embed([])).toEqual([]);
    await service.close();
  });

  it('groups texts of similar length when more are waiting than fit in a batch', async () => {
    const provider = new RecordingProvider();
    const service = new EmbeddingService(provider, { batchSize: 8, batchWaitMs: 0, maxInFlight: 1 });
    const short = Array.from({ length: 8 }, (_, i) => `short ${i}`);
    const long = Array.from({ length: 8 }, (_, i) => `a much longer text number ${i} ${'with padding '.repeat(20)}`);
    const interleaved = short.flatMap((s, i) => [s, long[i] as string]);

    await Promise.all(interleaved.map((text) => service.embed([text])));

    expect(provider.calls.map((call) => [...call].sort())).toEqual([[...short].sort(), [...long].sort()]);
    await service.close();
  });

  it('keeps a text much longer than the others out of their batch, even when it would fit', async () => {
    const short = Array.from({ length: 10 }, (_, i) => `short text ${i}`);
    const long = `one long text ${'that goes on and on '.repeat(10)}`;
    for (const [maxLengthRatio, expected] of [
      [2, [[long], [...short].sort()]],
      [Number.POSITIVE_INFINITY, [[...short, long].sort()]],
    ] as const) {
      const provider = new RecordingProvider();
      const service = new EmbeddingService(provider, { batchSize: 32, batchWaitMs: 0, maxInFlight: 1, maxLengthRatio });
      await Promise.all([long, ...short].map((text) => service.embed([text])));
      expect(provider.calls.map((call) => [...call].sort())).toEqual(expected);
      await service.close();
    }
  });

  it('sends a lone text at once when idle; while a call is in flight, waits at most batchWaitMs for a batch', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const provider = new RecordingProvider();
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow: EmbeddingProvider = {
        model: provider.model,
        dimension: provider.dimension,
        embed: async (texts) => {
          const out = await provider.embed(texts);
          if (texts[0] === 'first') await held;
          return out;
        },
        close: async () => undefined,
      };
      const service = new EmbeddingService(slow, { batchSize: 32, batchWaitMs: 20 });
      const first = service.embed(['first']);
      await vi.advanceTimersByTimeAsync(0);
      expect(provider.calls).toEqual([['first']]); // idle: no wait
      const second = service.embed(['waits for company']);
      await vi.advanceTimersByTimeAsync(10);
      expect(provider.calls).toEqual([['first']]); // busy: the partial batch fills
      const third = service.embed(['joins the same batch']);
      await vi.advanceTimersByTimeAsync(10);
      expect(provider.calls).toEqual([['first'], ['waits for company', 'joins the same batch']]);
      release();
      await Promise.all([first, second, third]);

      const alone = service.embed(['alone']);
      await vi.advanceTimersByTimeAsync(0);
      await alone;
      expect(provider.calls.at(-1)).toEqual(['alone']);
      await service.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('embeds an urgent text (a search query) before a backlog of background texts, in a batch of its own', async () => {
    const provider = new RecordingProvider();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: EmbeddingProvider = {
      model: provider.model,
      dimension: provider.dimension,
      embed: async (texts) => {
        const out = await provider.embed(texts);
        if (texts.includes('job 0')) await held;
        return out;
      },
      close: async () => undefined,
    };
    // As the local model runs: one call at a time.
    const service = new EmbeddingService(slow, { batchSize: 4, batchWaitMs: 0, maxInFlight: 1 });
    const first = service.embed(['job 0']);
    await new Promise((resolve) => setImmediate(resolve));
    const backlog = Array.from({ length: 12 }, (_, i) => service.embed([`job ${i + 1}`]));
    const query = service.embed(['how do we rotate keys'], { urgent: true });
    const answered: string[] = [];
    void query.then(() => answered.push('query'));
    for (const [i, job] of backlog.entries()) void job.then(() => answered.push(`job ${i + 1}`));
    release();
    expect(await query).toEqual([hashEmbed('how do we rotate keys', 16)]);
    await Promise.all([first, ...backlog]);
    // The batch in flight finishes; the query goes next, alone, then the backlog in batches of 4.
    expect(provider.calls[1]).toEqual(['how do we rotate keys']);
    expect(provider.calls.slice(2).map((call) => call.length)).toEqual([4, 4, 4]);
    expect(answered[0]).toBe('query');
    await service.close();
  });

  it('rejects every caller of a failed batch and keeps serving later calls', async () => {
    let fail = true;
    const inner = new HashEmbeddingProvider({ dimension: 4 });
    const flaky: EmbeddingProvider = {
      model: inner.model,
      dimension: inner.dimension,
      embed: async (texts) => {
        if (fail) throw new Error('provider down');
        return inner.embed(texts);
      },
      close: async () => {},
    };
    const service = new EmbeddingService(flaky, { batchWaitMs: 0 });
    const outcomes = await Promise.allSettled([service.embed(['one']), service.embed(['two'])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await service.embed(['three'])).toEqual([hashEmbed('three', 4)]);
    await service.close();
  });

  it('rejects waiting and new calls once closed', async () => {
    const service = new EmbeddingService(new RecordingProvider(), { batchWaitMs: 1_000 });
    const waiting = service.embed(['never sent']);
    await service.close();
    await expect(waiting).rejects.toThrow(/closed/);
    await expect(service.embed(['late'])).rejects.toThrow(/closed/);
  });

  it('refuses a provider with a dependency but no breaker', () => {
    const provider = new OllamaEmbeddingProvider({ url: 'http://127.0.0.1:1' });
    expect(() => new EmbeddingService(provider)).toThrow(/breaker/);
  });
});

/** No lone surrogate: every high surrogate is followed by a low one and every low one follows a high one. */
const wellFormed = (text: string): boolean =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

describe('chunking', () => {
  const sentence = (i: number) => `Sentence number ${i} talks about topic ${i}.`;
  const longText = Array.from({ length: 12 }, (_, i) => sentence(i)).join(' ');

  it('splits at sentence boundaries into chunks no longer than the limit', () => {
    const chunks = chunkText(longText, 100);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(100);
    for (const chunk of chunks) expect(chunk).toMatch(/^Sentence number \d+.*\.$/);
    expect(chunks.join(' ')).toBe(longText);
  });

  it('falls back to whitespace, then to cutting a word that alone is too long', () => {
    expect(chunkText('aaaa bbbb cccc dddd', 10)).toEqual(['aaaa bbbb', 'cccc dddd']);
    expect(chunkText(`${'x'.repeat(25)} y`, 10)).toEqual(['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx y']);
    expect(chunkText('short', 10)).toEqual(['short']);
    expect(chunkText(' '.repeat(30), 10)).toEqual(['']);
  });

  it('cuts a long word between code points, never inside a surrogate pair', () => {
    const word = '😀'.repeat(15); // 30 UTF-16 code units, 15 code points
    for (const max of [3, 5, 7, 10]) {
      const chunks = chunkText(word, max);
      expect(chunks.join('')).toBe(word);
      for (const chunk of chunks) {
        expect(chunk.length).toBeLessThanOrEqual(max);
        expect(chunk).toMatch(/^(?:😀)+$/u);
        expect(wellFormed(chunk)).toBe(true);
      }
    }
    const mixed = `a${'𝒳'.repeat(8)}b`;
    for (const chunk of chunkText(mixed, 4)) expect(wellFormed(chunk)).toBe(true);
  });

  it('embeds a long text as the length-weighted, re-normalised mean of its chunks', async () => {
    const provider = new RecordingProvider();
    const service = new EmbeddingService(provider, { chunkChars: 100, batchWaitMs: 0 });
    const [vector] = await service.embed([longText]);
    const chunks = chunkText(longText, 100);
    expect(provider.calls.flat()).toEqual(expect.arrayContaining(chunks));
    expect(provider.calls.flat()).toHaveLength(chunks.length);
    const expected = weightedMean(
      chunks.map((c) => hashEmbed(c, 16)),
      chunks.map((c) => c.length),
    );
    expect(Array.from(vector as Float32Array)).toEqual(Array.from(expected).map((x) => expect.closeTo(x, 6)));
    expect(Math.hypot(...(vector as Float32Array))).toBeCloseTo(1, 5);
    await service.close();
  });
});

describe('EmbeddingService behind a circuit breaker', () => {
  const DIMENSION = 8;
  const breakerOptions: BreakerOptions = {
    timeoutMs: 10_000,
    errorThresholdPercentage: 50,
    volumeThreshold: 2,
    resetTimeoutMs: 60_000,
    rollingWindowMs: 10_000,
  };
  let server: FakeEmbeddingServer;
  let breakers: BreakerRegistry;
  let service: EmbeddingService;
  let transitions: BreakerState[];

  beforeAll(async () => {
    server = await startFakeEmbeddingServer({ dimension: DIMENSION });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(async () => {
    await service.close();
    breakers.shutdown();
    server.setMode('ok');
  });

  /**
   * Long timeout and reset by default, so a slow machine neither times out an answering server nor
   * sees the breaker half-open before the test looks.
   */
  function start(overrides: Partial<BreakerOptions> = {}): void {
    breakers = new BreakerRegistry();
    transitions = [];
    breakers.onStateChange((name, state) => {
      if (name === 'ollama') transitions.push(state);
    });
    const provider = new OllamaEmbeddingProvider({ url: server.url, dimension: DIMENSION, timeoutMs: 10_000 });
    service = new EmbeddingService(provider, {
      batchWaitMs: 0,
      breaker: breakers.get(provider.dependency, { ...breakerOptions, ...overrides }),
    });
  }

  it('opens after failures, then rejects at once with BreakerOpenError without calling the server', async () => {
    start();
    server.setMode('fail');
    await expect(service.embed(['one'])).rejects.toThrow(/HTTP 500/);
    await expect(service.embed(['two'])).rejects.toThrow(/HTTP 500/);
    expect(breakers.states()).toEqual({ ollama: 'open' });

    const requests = server.stats().requests;
    server.setMode('ok');
    const error = await service.embed(['three']).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'BreakerOpenError', dependency: 'ollama', code: 'unavailable' });
    expect(server.stats().requests).toBe(requests);
  });

  it('counts a hanging server as failures through the breaker timeout', async () => {
    start({ timeoutMs: 300 });
    server.setMode('hang');
    await expect(service.embed(['one'])).rejects.toThrow('ollama did not answer within 300 ms');
    // The failure that opens the breaker is the provider's outage: deferred like a refusal, with the real cause.
    const opening = await service.embed(['two']).catch((e: unknown) => e);
    expect(opening).toMatchObject({
      name: 'BreakerOpenError',
      deferJob: true,
      message: 'ollama is unavailable: its circuit breaker is open (opened by: ollama did not answer within 300 ms)',
      cause: { name: 'BreakerTimeoutError' },
    });
    expect((opening as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(50_000);
    expect(breakers.states()).toEqual({ ollama: 'open' });
    await expect(service.embed(['three'])).rejects.toMatchObject({ name: 'BreakerOpenError' });
  });

  it('lets one trial call through after resetTimeout and closes when it succeeds', async () => {
    start({ resetTimeoutMs: 200 });
    server.setMode('fail');
    await expect(service.embed(['one'])).rejects.toThrow(/HTTP 500/);
    await expect(service.embed(['two'])).rejects.toThrow(/HTTP 500/);
    server.setMode('ok');

    await vi.waitFor(() => expect(breakers.states().ollama).toBe('half-open'), { timeout: 5_000 });
    expect(await service.embed(['recovered'])).toEqual([hashEmbed('recovered', DIMENSION)]);
    expect(breakers.states()).toEqual({ ollama: 'closed' });
    expect(transitions).toEqual(['open', 'half-open', 'closed']);
  });

  it('never sends blank text: it fails alone, as a refused input, without a provider call', async () => {
    start();
    const requests = server.stats().requests;
    const outcomes = await service.embedEach(['   ', 'fine text', '\n\t']);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ inputRejected: true, message: /blank/ });
    expect(server.stats()).toMatchObject({ requests: requests + 1 });
    expect(breakers.states()).toEqual({ ollama: 'closed' });
  });

  it('a 400 about one text in a batch: the batch is split, only that text fails, the breaker stays closed', async () => {
    start({ volumeThreshold: 1 });
    server.setRejected((text) => text.includes('POISON'));
    const texts = Array.from({ length: 16 }, (_, i) => (i === 11 ? `text ${i} POISON` : `text ${i}`));
    for (let round = 0; round < 3; round++) {
      const outcomes = await service.embedEach(texts);
      expect(outcomes.map((o) => o.status === 'fulfilled')).toEqual(texts.map((t) => !t.includes('POISON')));
      expect((outcomes[11] as PromiseRejectedResult).reason).toMatchObject({
        name: 'EmbeddingProviderError',
        status: 400,
        inputRejected: true,
        message: expect.stringMatching(/HTTP 400.*POISON' cannot be embedded/),
      });
      expect((outcomes[0] as PromiseFulfilledResult<Float32Array>).value).toEqual(hashEmbed('text 0', DIMENSION));
    }
    expect(breakers.states()).toEqual({ ollama: 'closed' });
    server.setRejected(undefined);
  });

  it('opens again when the trial call fails', async () => {
    start({ resetTimeoutMs: 200 });
    server.setMode('fail');
    await expect(service.embed(['one'])).rejects.toThrow(/HTTP 500/);
    await expect(service.embed(['two'])).rejects.toThrow(/HTTP 500/);
    await vi.waitFor(() => expect(breakers.states().ollama).toBe('half-open'), { timeout: 5_000 });
    await expect(service.embed(['trial'])).rejects.toThrow(/HTTP 500/);
    expect(breakers.states()).toEqual({ ollama: 'open' });
    expect(transitions).toEqual(['open', 'half-open', 'open']);
  });
});
