import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { createEmbeddingProvider, createEmbeddingService } from '../../src/embeddings/embedding.factory.js';
import { HashEmbeddingProvider, hashEmbed } from '../../src/embeddings/hash.provider.js';
import { OllamaEmbeddingProvider } from '../../src/embeddings/ollama.provider.js';
import { OpenAiEmbeddingProvider } from '../../src/embeddings/openai.provider.js';
import { cosine } from '../../src/embeddings/vector-math.js';
import { BreakerRegistry } from '../../src/resilience/breaker-registry.js';
import { testConfig } from '../helpers/config.js';
import { type FakeEmbeddingServer, startFakeEmbeddingServer } from '../helpers/fake-embedding-server.js';

const DIMENSION = 8;
const TEXTS = ['the first text', 'a second, somewhat longer text', 'third'];

function norm(v: Float32Array): number {
  return Math.hypot(...v);
}

describe('hash provider', () => {
  const provider = new HashEmbeddingProvider();

  it('is deterministic, unit length, 256-d by default, and tagged hash-<dim>', async () => {
    const [a, b] = await provider.embed(['Refactor the session repository', 'Refactor the session repository']);
    expect(provider.model).toBe('hash-256');
    expect(a).toHaveLength(256);
    expect(a).toEqual(b);
    expect(norm(a as Float32Array)).toBeCloseTo(1, 5);
    expect(hashEmbed('Refactor the session repository', 256)).toEqual(a);
  });

  it('puts texts sharing words closer than texts sharing none, and ignores case and punctuation', async () => {
    const [base, shared, unrelated, shouted] = await provider.embed([
      'add a contract test for the sqlite adapter',
      'the sqlite adapter needs a contract test',
      'lunch was pizza with olives',
      'ADD a contract test, for the SQLite adapter!',
    ]);
    expect(cosine(base as Float32Array, shared as Float32Array)).toBeGreaterThan(
      cosine(base as Float32Array, unrelated as Float32Array),
    );
    expect(shouted).toEqual(base);
  });

  it('gives texts without words a unit vector too, and honours the configured dimension', async () => {
    const small = new HashEmbeddingProvider({ dimension: 64 });
    const [empty, dots] = await small.embed(['', '...']);
    expect(small.model).toBe('hash-64');
    expect(empty).toHaveLength(64);
    expect(norm(empty as Float32Array)).toBeCloseTo(1, 5);
    expect(dots).toEqual(empty);
  });
});

describe('HTTP providers against a fake server', () => {
  let server: FakeEmbeddingServer;
  const providers: Array<{ close(): Promise<void> }> = [];

  function ollama(timeoutMs = 5_000): OllamaEmbeddingProvider {
    const provider = new OllamaEmbeddingProvider({ url: server.url, dimension: DIMENSION, timeoutMs });
    providers.push(provider);
    return provider;
  }

  function openai(apiKey?: string, timeoutMs = 5_000): OpenAiEmbeddingProvider {
    const provider = new OpenAiEmbeddingProvider({
      url: `${server.url}/v1/`,
      model: 'text-embedding-test',
      apiKey,
      dimension: DIMENSION,
      timeoutMs,
    });
    providers.push(provider);
    return provider;
  }

  beforeAll(async () => {
    server = await startFakeEmbeddingServer({ dimension: DIMENSION });
  });
  afterEach(async () => {
    server.setMode('ok');
    await Promise.all(providers.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await server.close();
  });

  it('ollama: one POST /api/embed per call, one vector per text in order', async () => {
    const provider = ollama();
    const before = server.stats();
    const vectors = await provider.embed(TEXTS);
    expect(provider.model).toBe('ollama/nomic-embed-text');
    expect(provider.dependency).toBe('ollama');
    expect(vectors).toEqual(TEXTS.map((t) => hashEmbed(t, DIMENSION)));
    expect(server.stats().requests - before.requests).toBe(1);
    expect(server.stats().texts - before.texts).toBe(TEXTS.length);
  });

  it('openai: orders by index and sends the bearer key only when one is set', async () => {
    const withKey = openai('sk-test-123');
    expect(await withKey.embed(TEXTS)).toEqual(TEXTS.map((t) => hashEmbed(t, DIMENSION)));
    expect(withKey.model).toBe('openai/text-embedding-test');
    expect(withKey.dependency).toBe('openai');
    expect(server.stats().lastAuthorization).toBe('Bearer sk-test-123');

    await openai().embed(['no key']);
    expect(server.stats().lastAuthorization).toBeUndefined();
  });

  it('reports an HTTP error with its status and an excerpt of the body', async () => {
    server.setMode('fail');
    await expect(ollama().embed(TEXTS)).rejects.toThrow(/HTTP 500.*failing on purpose/);
    await expect(openai().embed(TEXTS)).rejects.toMatchObject({ name: 'EmbeddingProviderError', status: 500 });
  });

  it('rejects vectors of the wrong dimension, naming expected and received sizes', async () => {
    server.setMode('wrong-dimension');
    await expect(ollama().embed(TEXTS)).rejects.toThrow(/expected 8, got 9/);
    await expect(openai().embed(TEXTS)).rejects.toThrow(/expected 8, got 9/);
  });

  it('gives up on a server that does not answer after its timeout', async () => {
    server.setMode('hang');
    await expect(ollama(200).embed(TEXTS)).rejects.toThrow(/no answer .* within 200 ms/);
    await expect(openai(undefined, 200).embed(TEXTS)).rejects.toThrow(/no answer .* within 200 ms/);
  });

  it('ends a hanging request when the provider closes', async () => {
    server.setMode('hang');
    const provider = ollama(60_000);
    const before = server.stats().requests;
    const call = provider.embed(TEXTS);
    await vi.waitFor(() => expect(server.stats().requests).toBe(before + 1));
    await provider.close();
    await expect(call).rejects.toThrow(/provider closed/);
  });
});

describe('provider factory', () => {
  it('builds each provider from config', async () => {
    const embedding = (overrides: Record<string, unknown>) => testConfig({ embedding: overrides }).embedding;
    expect(createEmbeddingProvider(embedding({})).model).toBe('use-lite-512');
    expect(createEmbeddingProvider(embedding({ provider: 'hash', dimension: 32 })).model).toBe('hash-32');
    const ollama = createEmbeddingProvider(embedding({ provider: 'ollama' }));
    expect([ollama.model, ollama.dimension]).toEqual(['ollama/nomic-embed-text', 768]);
    const openai = createEmbeddingProvider(
      embedding({ provider: 'openai', url: 'http://127.0.0.1:1/v1', model: 'text-embedding-3-small' }),
    );
    expect([openai.model, openai.dimension]).toEqual(['openai/text-embedding-3-small', 1536]);
  });

  it('refuses configs that cannot work, naming the key', () => {
    const embedding = (overrides: Record<string, unknown>) => testConfig({ embedding: overrides }).embedding;
    expect(() => createEmbeddingProvider(embedding({ provider: 'openai' }))).toThrow(ConfigError);
    expect(() => createEmbeddingProvider(embedding({ provider: 'openai' }))).toThrow(/embedding\.url/);
    expect(() => createEmbeddingProvider(embedding({ provider: 'local', dimension: 768 }))).toThrow(/512/);
    expect(() => createEmbeddingProvider(embedding({ provider: 'ollama', model: 'my-own-model' }))).toThrow(
      /embedding\.dimension is required/,
    );
  });

  it('puts an external provider behind its breaker from the registry', async () => {
    const breakers = new BreakerRegistry();
    const service = createEmbeddingService(testConfig({ embedding: { provider: 'ollama' } }).embedding, { breakers });
    expect(breakers.states()).toEqual({ ollama: 'closed' });
    await service.close();
    const local = createEmbeddingService(testConfig({ embedding: { provider: 'hash' } }).embedding, { breakers });
    expect(Object.keys(breakers.states())).toEqual(['ollama']);
    await local.close();
    breakers.shutdown();
  });
});
