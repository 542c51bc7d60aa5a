import type { Config } from '../config/config.schema.js';
import { createEmbeddingProvider } from '../embeddings/embedding.factory.js';
import type { EmbeddingProvider } from '../embeddings/embedding.port.js';
import { type CheckResult, fail, ok, reason, within } from './doctor.js';

/**
 * The embedding provider: configured consistently, answering one real request with a vector of the configured size.
 * A remote provider gets the breaker's timeout (plus a margin) to answer.
 */
export async function checkEmbedding(config: Config): Promise<CheckResult[]> {
  const { provider: kind, model } = config.embedding;
  let provider: EmbeddingProvider;
  try {
    provider = createEmbeddingProvider(config.embedding);
  } catch (error) {
    return [fail('embedding', `${kind}: ${reason(error)}`, 'correct the embedding.* settings (docs/configuration.md)')];
  }
  const where = config.embedding.url && (kind === 'ollama' || kind === 'openai') ? ` at ${config.embedding.url}` : '';
  try {
    const [vector] = await within(
      Math.max(config.embedding.breaker.timeoutMs, 30_000) + 5_000,
      `${kind} provider`,
      provider.embed(['session-buddy doctor: embedding check']),
    );
    if (vector?.length !== provider.dimension) {
      return [
        fail(
          'embedding',
          `${provider.model}${where} answered a ${vector?.length}-d vector, configured for ${provider.dimension}`,
          'set embedding.dimension (SESSION_BUDDY_EMBEDDING__DIMENSION) to the model’s vector size',
        ),
      ];
    }
    return [ok('embedding', `${provider.model}${where} answered a ${provider.dimension}-d vector`)];
  } catch (error) {
    return [
      fail(
        'embedding',
        `${kind} ${model}${where}: ${reason(error)}`,
        kind === 'ollama'
          ? `start Ollama there and \`ollama pull ${model}\`, or set SESSION_BUDDY_EMBEDDING__URL / __MODEL`
          : 'check embedding.url, embedding.model and the API key (SESSION_BUDDY_EMBEDDING__API_KEY)',
      ),
    ];
  } finally {
    await provider.close().catch(() => undefined);
  }
}
