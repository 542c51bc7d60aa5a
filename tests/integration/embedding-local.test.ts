import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddingService } from '../../src/embeddings/embedding.service.js';
import { LocalEmbeddingProvider } from '../../src/embeddings/local.provider.js';
import { cosine } from '../../src/embeddings/vector-math.js';

// The real Universal Sentence Encoder lite, weights from node_modules, in its worker thread.
describe('local embedding model (USE lite)', () => {
  const provider = new LocalEmbeddingProvider();
  const service = new EmbeddingService(provider, { batchSize: 32, batchWaitMs: 5, chunkChars: 400 });
  afterAll(async () => {
    await service.close();
  });

  it('makes unit 512-d vectors tagged use-lite-512', async () => {
    const [vector] = await service.embed(['Hello there, how are you today?']);
    expect(service.model).toBe('use-lite-512');
    expect(service.dimension).toBe(512);
    expect(vector).toBeInstanceOf(Float32Array);
    expect(vector).toHaveLength(512);
    expect(Math.hypot(...(vector as Float32Array))).toBeCloseTo(1, 4);
  });

  it('puts paraphrases closer together than unrelated sentences', async () => {
    const pairs: Array<[string, string, string]> = [
      [
        'How do I reset my password?',
        'I forgot my password and need to change it.',
        'The weather in Paris is sunny today.',
      ],
      [
        'The database migration failed because a column already exists.',
        'Applying the schema change broke: that column is already there.',
        'My cat likes to sleep on the warm windowsill.',
      ],
      [
        'Add a unit test for the session repository.',
        'Write a test case covering the session repository.',
        'We ordered pizza for the team lunch on Friday.',
      ],
    ];
    const vectors = await service.embed(pairs.flat());
    for (let i = 0; i < pairs.length; i++) {
      const [anchor, paraphrase, unrelated] = vectors.slice(i * 3, i * 3 + 3) as [
        Float32Array,
        Float32Array,
        Float32Array,
      ];
      expect(cosine(anchor, paraphrase)).toBeGreaterThan(cosine(anchor, unrelated) + 0.2);
    }
  });

  it('gives the same vector to a text alone or batched with others, one per caller', async () => {
    const texts = ['short', 'a medium length sentence about embeddings', 'Refactoring the job runner. '.repeat(30)];
    const together = await Promise.all(texts.map((text) => service.embed([text])));
    const alone: Float32Array[] = [];
    for (const text of texts) alone.push(...(await service.embed([text])));
    together.forEach(([vector], i) => {
      expect(vector).toHaveLength(512);
      expect(cosine(vector as Float32Array, alone[i] as Float32Array)).toBeCloseTo(1, 4);
    });
  });

  it('never sends blank text to the model: it is refused as the failure of that input', async () => {
    await expect(service.embed([' \n\t'])).rejects.toMatchObject({ inputRejected: true, message: /blank/ });
  });
});
