import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * Spans through the OpenTelemetry API only: without the SDK (tracing.enabled false) every call here is a no-op, so the
 * code that makes spans never asks whether tracing is on. The SDK itself is set up in tracing-sdk.ts.
 */
const TRACER = 'session-buddy';

export { SpanKind, SpanStatusCode } from '@opentelemetry/api';
export type { Span };

/**
 * Runs `fn` in a new span, child of `parent` (Default: the active context), ended when `fn` settles; a throw is
 * recorded on the span and thrown again.
 */
export function withSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return trace.getTracer(TRACER).startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span not made active (many at once, ended by the caller), with the context that has it as parent. */
export interface OpenSpan {
  span: Span;
  context: Context;
  /** Records `error` on the span as its failure. */
  fail(error: unknown): void;
}

export function startSpan(name: string, options: SpanOptions, parent: Context = context.active()): OpenSpan {
  const span = trace.getTracer(TRACER).startSpan(name, options, parent);
  return {
    span,
    context: trace.setSpan(parent, span),
    fail: (error) => recordFailure(span, error),
  };
}

function recordFailure(span: Span, error: unknown): void {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
}

/** The W3C `traceparent` of `ctx` (Default: the active context); null without a sampled-or-not trace to carry. */
export function traceparentOf(ctx: Context = context.active()): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored or received `traceparent` (and `tracestate`) continues; a new trace's root without one. */
export function contextOf(traceparent: string | null | undefined, tracestate?: string): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, tracestate ? { traceparent, tracestate } : { traceparent });
}

/**
 * Marks a write of job intents to the outbox with a span, child of the active one, and returns its `traceparent` to
 * store with the rows: the relay and the worker continue the trace from there. Null when tracing is off.
 */
export function outboxTraceparent(jobs: readonly { name: string }[]): string | null {
  const span = trace.getTracer(TRACER).startSpan('outbox write', {
    attributes: { 'session_buddy.outbox.jobs': jobs.length, 'session_buddy.job.name': jobs[0]?.name ?? '' },
  });
  try {
    return traceparentOf(trace.setSpan(context.active(), span));
  } finally {
    span.end();
  }
}

/** The trace and span ids of the active span, for log lines; undefined outside a valid span. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || !trace.isSpanContextValid(span)) return undefined;
  return { traceId: span.traceId, spanId: span.spanId };
}

/** The span of a store write of vectors (a job's last step). */
export const VECTOR_WRITE = 'vector write';

export function vectorWriteAttributes(model: string, vectors: number): SpanOptions {
  return { attributes: { 'gen_ai.request.model': model, 'session_buddy.vectors': vectors } };
}
