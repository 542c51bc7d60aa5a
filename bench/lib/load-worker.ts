/**
 * Child process: the load generator. Receives one LoadJob over IPC, runs it with autocannon and
 * sends back a LoadRunResult. autocannon's own latency histogram has 1 ms resolution, so latencies are
 * taken from its per-response event (hrtime-based, sub-millisecond) instead.
 */
import autocannon from 'autocannon';
import type { LoadJob, LoadRunResult } from './load.js';

function run(job: LoadJob): Promise<LoadRunResult> {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(1 << 16);
    let count = 0;
    const samples: string[] = [];
    const sample = (text: string) => {
      if (samples.length < 5 && !samples.includes(text)) samples.push(text);
    };
    let next = 0;
    const instance = autocannon(
      {
        url: job.url,
        connections: job.requests.length,
        pipelining: 1,
        duration: job.durationS,
        timeout: job.timeoutS ?? 10,
        // Each connection gets its own template (e.g. its own session), in creation order.
        setupClient: (client) => {
          const template = job.requests[next++ % job.requests.length];
          if (template) client.setRequests([template]);
        },
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        resolve({
          durationS: result.duration,
          ok2xx: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes: Object.fromEntries(
            Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0]),
          ),
          samples,
          latenciesMs: latencies.slice(0, count),
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        if (count === latencies.length) {
          const grown = new Float64Array(latencies.length * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[count++] = responseTime;
      } else {
        sample(`HTTP ${statusCode}`);
      }
    });
    instance.on('reqError', (error: unknown) => sample(error instanceof Error ? error.message : String(error)));
  });
}

process.once('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) =>
      process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }, () =>
        process.exit(1),
      ),
  );
});
