import type { Config } from '../config/config.schema.js';
import { ConfigError } from '../core/errors.js';
import type { BreakerRegistry } from '../resilience/breaker-registry.js';
import type { EmbeddingProvider } from './embedding.port.js';
import { type EmbeddingBatchEvent, EmbeddingService } from './embedding.service.js';
import { HashEmbeddingProvider } from './hash.provider.js';
import { LOCAL_MODEL_DIMENSION, LocalEmbeddingProvider } from './local.provider.js';
import { OLLAMA_DEFAULTS, OllamaEmbeddingProvider } from './ollama.provider.js';
import { OpenAiEmbeddingProvider } from './openai.provider.js';

export type EmbeddingConfig = Config['embedding'];

/** Sizes of common embedding models, so `embedding.dimension` can be left out for them. */
const KNOWN_DIMENSIONS: Record<string, number> = {
  'nomic-embed-text': 768,
  'mxbai-embed-large': 1024,
  'all-minilm': 384,
  'snowflake-arctic-embed': 1024,
  'bge-m3': 1024,
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

function dimensionFor(config: EmbeddingConfig): number {
  const dimension = config.dimension ?? KNOWN_DIMENSIONS[config.model];
  if (dimension === undefined) {
    throw new ConfigError(
      `embedding.dimension is required for model '${config.model}' (provider ${config.provider}): set it to the model's vector size`,
    );
  }
  return dimension;
}

export function createEmbeddingProvider(config: EmbeddingConfig): EmbeddingProvider {
  switch (config.provider) {
    case 'local':
      if (config.dimension !== undefined && config.dimension !== LOCAL_MODEL_DIMENSION) {
        throw new ConfigError(
          `embedding.dimension is ${config.dimension}, but the local model makes ${LOCAL_MODEL_DIMENSION}-d vectors: remove the key`,
        );
      }
      return new LocalEmbeddingProvider({ batchSize: config.batchSize, nice: config.localNice });
    case 'hash':
      return new HashEmbeddingProvider({ dimension: config.dimension });
    case 'ollama':
      return new OllamaEmbeddingProvider({
        url: config.url ?? OLLAMA_DEFAULTS.url,
        model: config.model,
        dimension: dimensionFor(config),
        timeoutMs: config.breaker.timeoutMs,
      });
    case 'openai':
      if (!config.url) {
        throw new ConfigError(
          'embedding.url is required with provider openai (the base URL, e.g. http://127.0.0.1:8080/v1)',
        );
      }
      return new OpenAiEmbeddingProvider({
        url: config.url,
        model: config.model,
        apiKey: config.apiKey,
        dimension: dimensionFor(config),
        timeoutMs: config.breaker.timeoutMs,
      });
  }
}

/**
 * The embedding service of the configured provider, behind the provider's breaker from
 * `breakers` (created with `embedding.breaker`) when it calls an external dependency.
 */
export function createEmbeddingService(
  config: EmbeddingConfig,
  deps: { breakers: BreakerRegistry; onBatch?: (event: EmbeddingBatchEvent) => void },
): EmbeddingService {
  const provider = createEmbeddingProvider(config);
  return new EmbeddingService(provider, {
    batchSize: config.batchSize,
    batchWaitMs: config.batchWaitMs,
    chunkChars: config.chunkChars,
    // In-process models compute one batch at a time: choosing the next batch from everything
    // waiting groups lengths better than queueing a second one early. Servers may run several.
    maxInFlight: provider.dependency ? 2 : 1,
    breaker: provider.dependency ? deps.breakers.get(provider.dependency, config.breaker) : undefined,
    onBatch: deps.onBatch,
  });
}
