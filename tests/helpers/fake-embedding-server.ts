import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { hashEmbed } from '../../src/embeddings/hash.provider.js';

/**
 * - `ok`: answers with deterministic vectors (the hash provider's, so equal texts get equal vectors);
 * - `fail`: HTTP 500;
 * - `hang`: accepts the request and never answers, until the mode changes or the server closes
 *   (then the connection is destroyed);
 * - `wrong-dimension`: answers with vectors one longer than `dimension`.
 * In every mode, like OpenAI, a request with an empty (or blank) input text, or a text `reject(text)` refuses, is
 * answered 400 naming it, and `failNext(n)` answers the next n requests with 500 before the mode applies.
 */
export type FakeEmbeddingMode = 'ok' | 'fail' | 'hang' | 'wrong-dimension';

export interface FakeEmbeddingStats {
  /** Requests received on either endpoint, in every mode. */
  requests: number;
  /** Texts in those requests. */
  texts: number;
  /** Authorization header of the latest request. */
  lastAuthorization: string | undefined;
}

export interface FakeEmbeddingServer {
  /** `http://127.0.0.1:<port>`: the Ollama base URL; OpenAI-compatible clients use `${url}/v1`. */
  url: string;
  setMode(mode: FakeEmbeddingMode): void;
  /** Answers the next `n` requests with HTTP 500, then follows the mode again. */
  failNext(n: number): void;
  /** Texts for which a request is refused with HTTP 400 (besides blank ones); undefined: none. */
  setRejected(reject: ((text: string) => boolean) | undefined): void;
  stats(): FakeEmbeddingStats;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 speaking Ollama's `POST /api/embed` and the OpenAI-compatible
 * `POST /v1/embeddings`, with faults switchable at run time.
 */
export async function startFakeEmbeddingServer(options: { dimension: number }): Promise<FakeEmbeddingServer> {
  const { dimension } = options;
  let mode: FakeEmbeddingMode = 'ok';
  let failures = 0;
  let rejected: ((text: string) => boolean) | undefined;
  const stats: FakeEmbeddingStats = { requests: 0, texts: 0, lastAuthorization: undefined };
  const hanging = new Set<Socket>();

  const releaseHanging = (): void => {
    for (const socket of hanging) socket.destroy();
    hanging.clear();
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(error) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const flavour =
      req.method === 'POST' && req.url === '/api/embed'
        ? 'ollama'
        : req.method === 'POST' && req.url === '/v1/embeddings'
          ? 'openai'
          : undefined;
    if (!flavour) {
      send(res, 404, { error: `no route ${req.method} ${req.url}` });
      return;
    }
    const body = JSON.parse(await readBody(req)) as { model?: unknown; input?: unknown };
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (typeof body.model !== 'string' || !Array.isArray(input) || !input.every((t) => typeof t === 'string')) {
      send(res, 400, { error: 'expected {model: string, input: string | string[]}' });
      return;
    }
    stats.requests++;
    stats.texts += input.length;
    stats.lastAuthorization = req.headers.authorization;

    const refused = (input as string[]).findIndex((text) => text.trim() === '' || rejected?.(text));
    if (refused >= 0) {
      send(res, 400, {
        error: { message: `input[${refused}] is invalid: '${(input as string[])[refused]}' cannot be embedded` },
      });
      return;
    }
    if (failures > 0) {
      failures--;
      send(res, 500, { error: 'fake embedding server: failing on purpose' });
      return;
    }
    switch (mode) {
      case 'hang':
        hanging.add(req.socket);
        req.socket.once('close', () => hanging.delete(req.socket));
        return;
      case 'fail':
        send(res, 500, { error: 'fake embedding server: failing on purpose' });
        return;
      default: {
        const size = mode === 'wrong-dimension' ? dimension + 1 : dimension;
        const vectors = (input as string[]).map((text) => Array.from(hashEmbed(text, size)));
        if (flavour === 'ollama') send(res, 200, { model: body.model, embeddings: vectors });
        else {
          send(res, 200, {
            object: 'list',
            model: body.model,
            // Reversed on purpose: clients must order by `index`, not by position.
            data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })).reverse(),
            usage: { prompt_tokens: 0, total_tokens: 0 },
          });
        }
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    setMode(next) {
      if (mode === 'hang' && next !== 'hang') releaseHanging();
      mode = next;
    },
    failNext(n) {
      failures = n;
    },
    setRejected(reject) {
      rejected = reject;
    },
    stats: () => ({ ...stats }),
    close: async () => {
      releaseHanging();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
