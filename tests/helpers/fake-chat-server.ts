import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeChatServer {
  /** `http://127.0.0.1:<port>/v1`: the base URL an OpenAI-compatible client is given. */
  url: string;
  /** `ok`: answers a summary naming how long the transcript was; `fail`: HTTP 500. */
  setMode(mode: 'ok' | 'fail'): void;
  /** Chat requests received, in every mode, with their user message. */
  requests(): Array<{ model: string; transcript: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 speaking the OpenAI-compatible `POST /v1/chat/completions`. */
export async function startFakeChatServer(): Promise<FakeChatServer> {
  let mode: 'ok' | 'fail' = 'ok';
  const seen: Array<{ model: string; transcript: string; authorization: string | undefined }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(404, { error: 'no route' });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        model: string;
        messages: Array<{ role: string; content: string }>;
      };
      const transcript = body.messages.find((m) => m.role === 'user')?.content ?? '';
      seen.push({ model: body.model, transcript, authorization: req.headers.authorization });
      if (mode === 'fail') return send(500, { error: 'fake chat server: failing on purpose' });
      send(200, {
        choices: [{ index: 0, message: { role: 'assistant', content: `Summary of ${transcript.length} chars.` } }],
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    setMode: (m) => {
      mode = m;
    },
    requests: () => [...seen],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
