import type { Logger } from '../core/logger.js';
import type { Download } from '../operations/operation.js';

/**
 * A download as the response body, pulled as the client reads (a slow client holds the producer back).
 *
 * Issue 10, finding 6: a failed export must never look complete. The first non-empty chunk is produced before the
 * response is answered, so anything the producer refuses up front (bad filters, store down, a missing session)
 * is a problem+json with its 4xx/5xx status, not a 200 with an empty body. An error after the first byte errors
 * the body stream: the Node adapter destroys the socket without the final chunk of the chunked encoding, so the
 * client sees an incomplete transfer (fetch: the body read rejects; curl: exit 18), never a clean end. The cause
 * goes to the log only.
 */
export async function downloadResponse(download: Download, logger?: Logger): Promise<Response> {
  const body = await primed(download.stream, (error) =>
    logger?.error({ err: error, file: download.fileName }, 'download failed after its first byte: connection aborted'),
  );
  return new Response(body, {
    headers: {
      'Content-Type': download.contentType,
      'Content-Disposition': `attachment; filename="${download.fileName.replace(/["\\\r\n]/g, '_')}"`,
    },
  });
}

/** `source` with its first non-empty chunk already read (errors until then are thrown here); later errors error it. */
export async function primed(
  source: ReadableStream<Uint8Array>,
  onLateError: (error: unknown) => void = () => {},
): Promise<ReadableStream<Uint8Array>> {
  const reader = source.getReader();
  let first: Uint8Array | undefined;
  let done = false;
  try {
    while (first === undefined && !done) {
      const next = await reader.read();
      if (next.done) done = true;
      else if (next.value.byteLength > 0) first = next.value;
    }
  } catch (error) {
    reader.releaseLock();
    await source.cancel().catch(() => {});
    throw error;
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (first !== undefined) {
          controller.enqueue(first);
          first = undefined;
          return;
        }
        if (done) {
          controller.close();
          return;
        }
        try {
          const next = await reader.read();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          onLateError(error);
          controller.error(error ?? new Error('download failed'));
        }
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    },
    // Pulled only when the adapter reads: the error then rejects that read, and the adapter destroys the socket.
    // (An error with no read pending would reach the adapter's fallback, which writes "Error: …" and ends the body
    // cleanly.)
    { highWaterMark: 0 },
  );
}
