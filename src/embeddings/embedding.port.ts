/**
 * One embedding backend (local model, Ollama, an OpenAI-compatible server, feature hashing).
 * Implementations do I/O only; batching, chunking and the circuit breaker wrap them in
 * EmbeddingService, so every provider gets the same behaviour.
 */
export interface EmbeddingProvider {
  /** Model id stored with every vector, e.g. `use-lite-512`, `ollama/nomic-embed-text`, `hash-256`. */
  readonly model: string;
  /** Vector length this provider produces. */
  readonly dimension: number;
  /** Name of the external dependency for breakers, metrics and /readyz; undefined for in-process providers. */
  readonly dependency?: string;
  /** One vector per text, in order. Throws on any failure (wrong count, wrong dimension, HTTP error). */
  embed(texts: string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
