import type { Rng } from './fuzz.js';

/**
 * The chaos test's client: lanes of writes (one message or a small batch, each message with its own idempotency key)
 * and searches against a real API, until told to stop. It behaves like a careful real client: a 503 is retried after
 * its Retry-After, a lost connection is retried with the same idempotency keys (its write may or may not have been
 * stored; the key makes the retry safe). Every request is bounded by `boundMs`: one over it is a hang, not slowness.
 */
export interface ChaosLoadOptions {
  url: string;
  sessionIds: string[];
  /** Concurrent writers and searchers. */
  writers: number;
  searchers: number;
  /** A request not answered within this is recorded as a hang (a hang detector, not a timing assertion). */
  boundMs: number;
  /** Content choices only; the fault schedule has its own generator. */
  random: Rng;
  /** Messages above `embedding.chunkChars` are embedded in chunks; some writes send one. */
  longChars: number;
}

export interface ChaosLoadReport {
  /** Idempotency keys of the messages a 201 acknowledged. */
  acknowledged: Set<string>;
  writes: { ok: number; retried503: number; retriedConnection: number; gaveUp: number };
  searches: { ok: number; unavailable: number; connection: number };
  /** When each 503 to a write arrived (epoch ms). */
  unavailableAt: number[];
  /** Anything that is neither a success nor a 503 nor a lost connection: a 500, a 4xx, a malformed 503. */
  unexpected: string[];
  /** Requests not answered within the bound. */
  hangs: string[];
}

const WORDS = ['refactor', 'postgres', 'outbox', 'worker', 'vector', 'breaker', 'session', 'redis', 'retry', 'chunk'];
/** Attempts per write before the lane gives up (recorded: a write that never succeeds fails the test). */
const MAX_ATTEMPTS = 30;
/** A real client caps what it honours; the default Retry-After is 5 s. */
const MAX_WAIT_MS = 5_000;

export function startChaosLoad(options: ChaosLoadOptions): { stop(): Promise<ChaosLoadReport> } {
  const { url, sessionIds, random, boundMs } = options;
  const report: ChaosLoadReport = {
    acknowledged: new Set(),
    writes: { ok: 0, retried503: 0, retriedConnection: 0, gaveUp: 0 },
    searches: { ok: 0, unavailable: 0, connection: 0 },
    unavailableAt: [],
    unexpected: [],
    hangs: [],
  };
  let stopping = false;
  let nextKey = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** One request, bounded; `undefined` when the connection was lost (recorded by the caller). */
  const request = async (what: string, path: string, init: RequestInit = {}) => {
    try {
      return await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(boundMs) });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') report.hangs.push(`${what}: no answer within ${boundMs} ms`);
      return undefined;
    }
  };

  const content = (key: string) => {
    const words = Array.from({ length: 6 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
    const text = `${key}: ${words}`;
    return random() < 0.05 ? `${text} ${'lorem ipsum dolor '.repeat(Math.ceil(options.longChars / 18))}` : text;
  };

  const write = async () => {
    const sessionId = sessionIds[Math.floor(random() * sessionIds.length)] as string;
    const size = random() < 0.7 ? 1 : 2 + Math.floor(random() * 3);
    const messages = Array.from({ length: size }, () => {
      const key = `chaos-${nextKey++}`;
      return { role: 'user', content: content(key), idempotencyKey: key };
    });
    const single = size === 1;
    const path = single ? `/v1/sessions/${sessionId}/messages` : `/v1/sessions/${sessionId}/messages/batch`;
    const body = JSON.stringify(single ? messages[0] : { messages });
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const res = await request(`write ${messages[0]?.idempotencyKey}`, path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (!res) {
        report.writes.retriedConnection++;
        await sleep(500);
        continue;
      }
      const text = await res.text();
      if (res.status === 201) {
        report.writes.ok++;
        for (const m of messages) report.acknowledged.add(m.idempotencyKey);
        return;
      }
      const retryAfter = Number(res.headers.get('retry-after'));
      if (res.status === 503 && retryAfter > 0) {
        report.writes.retried503++;
        report.unavailableAt.push(Date.now());
        await sleep(Math.min(retryAfter * 1000, MAX_WAIT_MS));
        continue;
      }
      report.unexpected.push(`write ${res.status} ${text.slice(0, 300)}`);
      return;
    }
    report.writes.gaveUp++;
  };

  const search = async () => {
    const query = WORDS[Math.floor(random() * WORDS.length)] as string;
    const res = await request(`search ${query}`, `/v1/search/messages?q=${query}&limit=5`);
    if (!res) {
      report.searches.connection++;
      await sleep(500);
      return;
    }
    const text = await res.text();
    if (res.status === 200) report.searches.ok++;
    else if (res.status === 503 && Number(res.headers.get('retry-after')) > 0) {
      report.searches.unavailable++;
      await sleep(1000);
    } else report.unexpected.push(`search ${res.status} ${text.slice(0, 300)}`);
  };

  const lane = async (step: () => Promise<void>) => {
    while (!stopping) await step();
  };
  const lanes = [
    ...Array.from({ length: options.writers }, () => lane(write)),
    ...Array.from({ length: options.searchers }, () => lane(search)),
  ];
  return {
    async stop() {
      stopping = true;
      await Promise.all(lanes);
      return report;
    },
  };
}
