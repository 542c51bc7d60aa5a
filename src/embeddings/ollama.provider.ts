import type { EmbeddingProvider } from './embedding.port.js';
import { EmbeddingProviderError, HttpEmbeddingClient, joinUrl, toVectors } from './http-embedding.client.js';

export interface OllamaProviderOptions {
  /** (Default: http://127.0.0.1:11434) */
  url?: string;
  /** (Default: nomic-embed-text) */
  model?: string;
  /** (Default: 768, the size of nomic-embed-text) */
  dimension?: number;
  /** Abandon a request after this long. (Default: 15000) */
  timeoutMs?: number;
}

export const OLLAMA_DEFAULTS = { url: 'http://127.0.0.1:11434', model: 'nomic-embed-text', dimension: 768 } as const;

/** Ollama's batch endpoint: `POST {url}/api/embed {model, input: string[]}` → `{embeddings: number[][]}`. */
export class OllamaEmbeddingProvider implements EmbeddingProvider {
  readonly model: string;
  readonly dimension: number;
  readonly dependency = 'ollama';
  private readonly endpoint: string;
  private readonly modelName: string;
  private readonly http: HttpEmbeddingClient;

  constructor(options: OllamaProviderOptions = {}) {
    this.modelName = options.model ?? OLLAMA_DEFAULTS.model;
    this.model = `ollama/${this.modelName}`;
    this.dimension = options.dimension ?? OLLAMA_DEFAULTS.dimension;
    this.endpoint = joinUrl(options.url ?? OLLAMA_DEFAULTS.url, '/api/embed');
    this.http = new HttpEmbeddingClient(this.model, { timeoutMs: options.timeoutMs });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const answer = await this.http.postJson(this.endpoint, { model: this.modelName, input: texts });
    const embeddings = (answer as { embeddings?: unknown } | null)?.embeddings;
    if (embeddings === undefined) throw new EmbeddingProviderError(`${this.model}: answer has no 'embeddings'`);
    return toVectors(this.model, embeddings, texts.length, this.dimension);
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
