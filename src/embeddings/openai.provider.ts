import type { EmbeddingProvider } from './embedding.port.js';
import { EmbeddingProviderError, HttpEmbeddingClient, joinUrl, toVectors } from './http-embedding.client.js';

export interface OpenAiProviderOptions {
  /** Base URL including the version, e.g. `http://127.0.0.1:8080/v1`. */
  url: string;
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Vector length the model produces; anything else is rejected. */
  dimension: number;
  /** Abandon a request after this long. (Default: 15000) */
  timeoutMs?: number;
}

/**
 * Any OpenAI-compatible server (OpenAI, llama.cpp, vLLM, LM Studio, TEI):
 * `POST {url}/embeddings {model, input}` → `{data: [{index, embedding}]}`.
 */
export class OpenAiEmbeddingProvider implements EmbeddingProvider {
  readonly model: string;
  readonly dimension: number;
  readonly dependency = 'openai';
  private readonly endpoint: string;
  private readonly modelName: string;
  private readonly headers: Record<string, string>;
  private readonly http: HttpEmbeddingClient;

  constructor(options: OpenAiProviderOptions) {
    this.modelName = options.model;
    this.model = `openai/${options.model}`;
    this.dimension = options.dimension;
    this.endpoint = joinUrl(options.url, '/embeddings');
    this.headers = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
    this.http = new HttpEmbeddingClient(this.model, { timeoutMs: options.timeoutMs });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const answer = await this.http.postJson(this.endpoint, { model: this.modelName, input: texts }, this.headers);
    const data = (answer as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw new EmbeddingProviderError(`${this.model}: answer has no 'data' list`);
    // The spec promises `index`, not order.
    const ordered = [...(data as Array<{ index?: unknown; embedding?: unknown }>)].sort(
      (a, b) => Number(a.index) - Number(b.index),
    );
    ordered.forEach((item, i) => {
      if (item.index !== i)
        throw new EmbeddingProviderError(`${this.model}: answer indexes are not 0..${texts.length - 1}`);
    });
    return toVectors(
      this.model,
      ordered.map((item) => item.embedding),
      texts.length,
      this.dimension,
    );
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
