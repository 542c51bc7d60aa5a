import type { Config } from '../../config/config.schema.js';
import type { Message } from '../../domain/message.model.js';
import { EmbeddingProviderError, HttpEmbeddingClient, joinUrl } from '../../embeddings/http-embedding.client.js';
import { type Breaker, type BreakerRegistry, DEFAULT_BREAKER_OPTIONS } from '../../resilience/breaker-registry.js';

/** The breaker dependency name of the summary LLM (metrics, /readyz). */
export const SUMMARY_LLM_DEPENDENCY = 'summary-llm';

const INSTRUCTIONS =
  'You summarize a working session between a developer and an AI assistant. In at most 150 words of plain text, ' +
  'say what the goal was, what was decided and done, which errors came up, and what is left open.';

/** Writes a prose summary of a session's messages. */
export interface LlmSummarizer {
  readonly model: string;
  /** The most transcript characters one call sends (see TranscriptBuilder). */
  readonly maxInputChars: number;
  summarize(transcript: string): Promise<string>;
  close(): void;
}

/**
 * The transcript sent to the model, at most `maxChars` long, built a message at a time in bounded memory: the
 * opening third and the latest two thirds of the `role: content` lines, with how much was left out in between.
 * Deterministic for the same messages.
 */
export class TranscriptBuilder {
  private head = '';
  private tail = '';
  private total = 0;
  private readonly headChars: number;
  private readonly tailChars: number;

  constructor(private readonly maxChars: number) {
    this.headChars = Math.floor(maxChars / 3);
    this.tailChars = maxChars - this.headChars;
  }

  add(message: Pick<Message, 'role' | 'content'>): void {
    let text = `${this.total === 0 ? '' : '\n\n'}${message.role}: ${message.content}`;
    this.total += text.length;
    if (this.head.length < this.headChars) {
      const room = this.headChars - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    this.tail += text;
    if (this.tail.length > 2 * this.tailChars) this.tail = this.tail.slice(-this.tailChars);
  }

  build(): string {
    if (this.total <= this.maxChars) return this.head + this.tail;
    const left = this.total - this.headChars - this.tailChars;
    return `${this.head}\n\n[… ${left} characters left out …]\n\n${this.tail.slice(-this.tailChars)}`;
  }
}

/**
 * An OpenAI-compatible chat model (OpenAI, llama.cpp, vLLM, Ollama's /v1): `POST {baseUrl}/chat/completions`, every
 * call through the `summary-llm` circuit breaker. A failure is thrown (the job retries it).
 */
export class OpenAiChatSummarizer implements LlmSummarizer {
  readonly model: string;
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly http: HttpEmbeddingClient;

  constructor(
    private readonly options: {
      baseUrl: string;
      model: string;
      apiKey?: string;
      timeoutMs: number;
      maxInputChars: number;
    },
    private readonly breaker: Breaker,
  ) {
    this.model = options.model;
    this.endpoint = joinUrl(options.baseUrl, '/chat/completions');
    this.headers = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
    this.http = new HttpEmbeddingClient(options.model, { timeoutMs: options.timeoutMs });
  }

  get maxInputChars(): number {
    return this.options.maxInputChars;
  }

  async summarize(transcript: string): Promise<string> {
    const body = {
      model: this.model,
      temperature: 0,
      messages: [
        { role: 'system', content: INSTRUCTIONS },
        { role: 'user', content: transcript },
      ],
    };
    const answer = await this.breaker.run(() => this.http.postJson(this.endpoint, body, this.headers));
    const content = (answer as { choices?: Array<{ message?: { content?: unknown } }> } | null)?.choices?.[0]?.message
      ?.content;
    if (typeof content !== 'string' || content.trim() === '') {
      throw new EmbeddingProviderError(`${this.model}: answer has no choices[0].message.content`);
    }
    return content.trim();
  }

  close(): void {
    this.http.close();
  }
}

/** The configured LLM summarizer, behind its breaker from `breakers`; undefined when `summaries.llm` is off. */
export function createLlmSummarizer(
  config: Config['summaries']['llm'],
  breakers: BreakerRegistry,
): LlmSummarizer | undefined {
  if (!config.enabled || !config.baseUrl || !config.model) return undefined;
  const breaker = breakers.get(SUMMARY_LLM_DEPENDENCY, { ...DEFAULT_BREAKER_OPTIONS, timeoutMs: config.timeoutMs });
  return new OpenAiChatSummarizer(
    {
      baseUrl: config.baseUrl,
      model: config.model,
      apiKey: config.apiKey,
      timeoutMs: config.timeoutMs,
      maxInputChars: config.maxInputChars,
    },
    breaker,
  );
}
