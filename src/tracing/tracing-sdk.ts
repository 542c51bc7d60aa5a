import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Config } from '../config/config.schema.js';
import { redactUrlPassword } from '../config/url-credentials.js';
import type { Logger } from '../core/logger.js';
import { VERSION } from '../core/version.js';

/** One export's limit: a hanging collector must not hold a shutdown for long. (Default of the SDK: 10000) */
const EXPORT_TIMEOUT_MS = 5000;

export interface Tracing {
  /** Exports the spans still buffered, then turns tracing off in this process. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** The process role, `session_buddy.role` on every span. */
  role: string;
  logger: Logger;
  /** Where spans go besides `otlpUrl` (tests: the SDK's in-memory exporter). */
  processors?: SpanProcessor[];
}

/**
 * The OpenTelemetry SDK for this process, imported only when `tracing.enabled`: W3C trace context, async-local
 * context, parent-based ratio sampling, and spans batched to the OTLP/HTTP (JSON) endpoint when one is configured.
 * Without an endpoint, traces are still made and propagated, so log lines and downstream processes share trace ids.
 */
export function startTracing(config: Config['tracing'], options: TracingOptions): Tracing {
  const processors = [...(options.processors ?? [])];
  if (config.otlpUrl)
    processors.push(
      new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otlpUrl, timeoutMillis: EXPORT_TIMEOUT_MS })),
    );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_VERSION]: VERSION,
      'session_buddy.role': options.role,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: processors,
  });
  // The API keeps the first registration of a process; a second application in one process uses the first's.
  const registered = trace.setGlobalTracerProvider(provider);
  if (registered) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  } else {
    options.logger.warn('tracing already set up in this process; this application uses the first set-up');
  }
  options.logger.info(
    {
      otlpUrl: config.otlpUrl ? redactUrlPassword(config.otlpUrl) : null,
      sampleRatio: config.sampleRatio,
      serviceName: config.serviceName,
    },
    'tracing on',
  );
  let done: Promise<void> | undefined;
  return {
    shutdown() {
      done ??= (async () => {
        try {
          await provider.shutdown();
        } catch (error) {
          options.logger.warn({ err: (error as Error).message }, 'tracing: spans not exported at shutdown');
        }
        if (registered) {
          trace.disable();
          context.disable();
          propagation.disable();
        }
      })();
      return done;
    },
  };
}
