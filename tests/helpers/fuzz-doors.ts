import { expect } from 'vitest';
import type { Application } from '../../src/app.js';
import type { Operation } from '../../src/operations/operation.js';
import { encodeQueryValue, type FixtureIds, fillIds } from './fuzz.js';

/** One store under fuzz: its application and the ids of its fixture. */
export interface Store {
  name: string;
  app: Application;
  ids: FixtureIds;
  /** Bearer token sent with every request, when auth is on. */
  token?: string;
}

export const BODY_METHODS = new Set(['post', 'patch', 'put']);

const auth = (store: Store): Record<string, string> => (store.token ? { authorization: `Bearer ${store.token}` } : {});

/** A session with a message, a reflection and a pattern, made by `token`'s tenant. */
export async function seed(app: Application, token?: string): Promise<FixtureIds> {
  const json = async (path: string, body: unknown) => {
    const res = await app.http.request(`http://localhost:8678${path}`, {
      method: 'POST',
      headers: {
        host: 'localhost:8678',
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    expect(res.status, path).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  };
  const session = await json('/v1/sessions', { name: 'fuzz fixture', project: 'p' });
  await json(`/v1/sessions/${session.id}/messages`, { role: 'user', content: 'auth refactor in src/app.ts' });
  const reflection = await json('/v1/reflections', { content: 'use refresh tokens for auth', project: 'p' });
  const pattern = await json('/v1/patterns', { name: 'retry with backoff', description: 'd', kind: 'convention' });
  const id = (v: Record<string, unknown>, k: string) =>
    ((v[k] as Record<string, unknown> | undefined) ?? v).id as string;
  return { session: session.id as string, reflection: id(reflection, 'reflection'), pattern: id(pattern, 'pattern') };
}

export interface Answer {
  status: number;
  text: string;
  /** Refused as bad input (REST 4xx, MCP isError or JSON-RPC invalid params). */
  refused: boolean;
  internal: boolean;
}

export async function viaRest(store: Store, op: Operation, raw: Record<string, unknown>): Promise<Answer> {
  const rest = op.rest as NonNullable<Operation['rest']>;
  const args = fillIds(raw, store.ids) as Record<string, unknown>;
  let path = rest.path;
  for (const [param, key] of Object.entries(rest.params ?? {})) {
    const value = args[key];
    delete args[key];
    path = path.replace(`:${param}`, value === undefined ? 'missing' : encodeQueryValue(value));
  }
  const from = rest.from ?? (BODY_METHODS.has(rest.method) ? 'body' : 'query');
  const headers: Record<string, string> = { host: 'localhost:8678', ...auth(store) };
  let body: string | undefined;
  if (from === 'query') {
    const query = Object.entries(args)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeQueryValue(v)}`)
      .join('&');
    if (query) path += `?${query}`;
  } else {
    body = JSON.stringify(args);
    headers['content-type'] = 'application/json';
  }
  const res = await store.app.http.request(`http://localhost:8678${path}`, {
    method: rest.method.toUpperCase(),
    headers,
    body,
  });
  const text = await res.text();
  return { status: res.status, text, refused: res.status >= 400 && res.status < 500, internal: res.status >= 500 };
}

let rpcId = 0;
export async function viaMcp(store: Store, op: Operation, raw: Record<string, unknown>): Promise<Answer> {
  const args = fillIds(raw, store.ids);
  const res = await store.app.http.request('http://localhost:8678/mcp', {
    method: 'POST',
    headers: {
      host: 'localhost:8678',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...auth(store),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: ++rpcId,
      method: 'tools/call',
      params: { name: op.name, arguments: args },
    }),
  });
  const text = await res.text();
  let parsed: { result?: { isError?: boolean }; error?: { code: number } } = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: judged by its status
  }
  const isError = parsed.result?.isError === true;
  const internal =
    res.status >= 500 || parsed.error?.code === -32603 || (isError && /"code":"internal"|internal error/i.test(text));
  return {
    status: isError ? 400 : parsed.error ? 400 : res.status,
    text,
    refused: isError || parsed.error !== undefined || (res.status >= 400 && res.status < 500),
    internal,
  };
}

/** What a refused request must leave untouched (async jobs aside: manual patterns only). */
export async function fingerprint(store: Store): Promise<string> {
  const get = async (path: string) => {
    const res = await store.app.http.request(`http://localhost:8678${path}`, {
      headers: { host: 'localhost:8678', ...auth(store) },
    });
    const body = (await res.json()) as { items?: Array<Record<string, unknown>> };
    return (body.items ?? []).map((i) => [
      i.id,
      i.name,
      i.status,
      i.content,
      i.metadata,
      i.tags,
      i.importance,
      i.description,
      i.source,
    ]);
  };
  const patterns = await get('/v1/patterns?limit=200&source=manual');
  return JSON.stringify([
    await get('/v1/sessions?limit=200'),
    await get(`/v1/sessions/${store.ids.session}/messages?limit=200`),
    await get('/v1/reflections?limit=200'),
    patterns,
  ]);
}
