import { type Span, SpanKind, withSpan } from '../tracing/spans.js';

/** (Default: 15000) */
export const DEFAULT_HTTP_TIMEOUT_MS = 15_000;

/**
 * HTTP statuses that reject the input of one call (bad or empty text, too long, unprocessable), not the provider:
 * the texts' failure, never the breaker's. 401/403/404/408/429 and 5xx are about the provider or its configuration.
 */
const INPUT_REJECTED_STATUSES: ReadonlySet<number> = new Set([400, 413, 422]);

/** A provider answered with something unusable: HTTP error, timeout, wrong count or dimension. */
export class EmbeddingProviderError extends Error {
  /** HTTP status when the server answered. */
  readonly status: number | undefined;
  /** The input was refused (HTTP 400/413/422, or a blank text never sent): a failure of these texts only. */
  readonly inputRejected: boolean;

  constructor(message: string, options: { status?: number; cause?: unknown; inputRejected?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'EmbeddingProviderError';
    this.status = options.status;
    this.inputRejected =
      options.inputRejected ?? (options.status !== undefined && INPUT_REJECTED_STATUSES.has(options.status));
  }
}

/**
 * Whether `error` rejects the input of a call rather than says the provider is failing: such errors do not count
 * against the breaker, a batch that gets one is split to find the text, and that text's job fails for good.
 */
export function isRejectedInput(error: unknown): boolean {
  return (error as { inputRejected?: unknown } | undefined)?.inputRejected === true;
}

export interface HttpEmbeddingOptions {
  /** Abandon a request after this long. (Default: 15000) */
  timeoutMs?: number;
}

/**
 * The I/O shared by the HTTP providers: one JSON POST with a timeout that also ends when the
 * provider closes, and a readable error for anything but a 2xx JSON answer.
 */
export class HttpEmbeddingClient {
  private readonly closing = new AbortController();
  private readonly timeoutMs: number;

  constructor(
    private readonly model: string,
    options: HttpEmbeddingOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  }

  /** One provider call, in a client span (model, host and status; never the texts). */
  postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    const target = new URL(url);
    return withSpan(
      `POST ${this.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'POST',
          'server.address': target.hostname,
          'url.path': target.pathname,
          'gen_ai.request.model': this.model,
        },
      },
      (span) => this.send(url, body, headers, span),
    );
  }

  private async send(url: string, body: unknown, headers: Record<string, string>, span: Span): Promise<unknown> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
        signal,
      });
      text = await response.text();
      span.setAttribute('http.response.status_code', response.status);
    } catch (error) {
      if (this.closing.signal.aborted) throw new EmbeddingProviderError(`${this.model}: provider closed`);
      if ((error as Error).name === 'TimeoutError') {
        throw new EmbeddingProviderError(`${this.model}: no answer from ${url} within ${this.timeoutMs} ms`, {
          cause: error,
        });
      }
      const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new EmbeddingProviderError(`${this.model}: request to ${url} failed: ${reason}`, { cause: error });
    }
    if (!response.ok) {
      throw new EmbeddingProviderError(`${this.model}: ${url} answered HTTP ${response.status}: ${excerpt(text)}`, {
        status: response.status,
      });
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new EmbeddingProviderError(`${this.model}: ${url} answered invalid JSON: ${excerpt(text)}`, {
        status: response.status,
        cause: error,
      });
    }
  }

  /** Aborts requests in flight. */
  close(): void {
    this.closing.abort();
  }
}

/**
 * Turns the arrays of a provider answer into vectors, checking that there is one per text and
 * each has the expected dimension.
 */
export function toVectors(model: string, raw: unknown, expectedCount: number, dimension: number): Float32Array[] {
  if (!Array.isArray(raw)) throw new EmbeddingProviderError(`${model}: answer has no list of embeddings`);
  if (raw.length !== expectedCount) {
    throw new EmbeddingProviderError(`${model}: expected ${expectedCount} embeddings, got ${raw.length}`);
  }
  return raw.map((values: unknown, i) => {
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new EmbeddingProviderError(`${model}: embedding ${i} is not a list of numbers`);
    }
    if (values.length !== dimension) {
      throw new EmbeddingProviderError(
        `${model}: wrong embedding dimension: expected ${dimension}, got ${values.length} (set embedding.dimension to match the model)`,
      );
    }
    return Float32Array.from(values as number[]);
  });
}

function excerpt(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return '(empty body)';
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/** `base` without trailing slashes, then `path`. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}
