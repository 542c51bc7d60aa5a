import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { RECORD_KEYS } from '../../src/core/project-scope.js';
import { testConfig } from '../helpers/config.js';
import { frontDoors } from '../helpers/front-doors.js';
import { standardApplication } from '../helpers/standard-app.js';

const SECRET = 'project-scope-secret-project-scope-secret';
/** Input keys that name a record by id but are tenant-wide on purpose (docs/security.md). */
const TENANT_WIDE = new Set(['workflowId', 'id', 'ids', 'sourceId']);

const CONFIG = { mcp: { enabled: true }, auth: { enabled: true, secret: SECRET } };
const STORES: Array<[string, () => Promise<{ app: Application; cleanup(): Promise<void> }>]> = [
  [
    'lite (SQLite)',
    async () => ({
      app: await createApplication(testConfig(CONFIG), createLogger('silent'), { defaultMetrics: false }),
      cleanup: async () => undefined,
    }),
  ],
  ['standard (PostgreSQL)', () => standardApplication('project-scope', CONFIG)],
];

describe.each(STORES)('project claim on by-id operations: %s', (_name, open) => {
  let app: Application;
  let cleanup: () => Promise<void>;
  let token: string | undefined;
  let doors: ReturnType<typeof frontDoors>;
  let other: { session: string; reflection: string };

  beforeAll(async () => {
    ({ app, cleanup } = await open());
    doors = frontDoors(app, () => token);
    token = await app.services.auth.issue('b-user', 'acme', { roles: ['writer'], project: 'beta' });
    const session = await doors.rest('POST', '/v1/sessions', { name: 'in beta' });
    await doors.rest('POST', `/v1/sessions/${session.json.id}/messages`, { role: 'user', content: 'secret' });
    const reflection = await doors.rest('POST', '/v1/reflections', { content: 'beta note', project: 'beta' });
    other = { session: String(session.json.id), reflection: String((reflection.json.reflection as { id: string }).id) };
    token = await app.services.auth.issue('a-user', 'acme', { roles: ['writer'], project: 'alpha' });
  });
  afterAll(async () => {
    await app?.close();
    await cleanup?.();
  });

  it('every id key of the catalogue is checked against the project, or tenant-wide on purpose', () => {
    for (const op of app.operations) {
      for (const key of Object.keys(op.input.shape)) {
        if (!/(^id$|Id$|^ids$)/.test(key)) continue;
        expect(key in RECORD_KEYS || TENANT_WIDE.has(key), `${op.name}.${key}`).toBe(true);
      }
    }
  });

  const missing = '00000000-0000-4000-8000-000000000000';
  const cases = (id: { session: string; reflection: string }) =>
    [
      ['GET', `/v1/sessions/${id.session}`, undefined, 'get_session', { session_id: id.session }],
      ['GET', `/v1/sessions/${id.session}/messages`, undefined, 'get_messages', { session_id: id.session }],
      ['GET', `/v1/sessions/${id.session}/export`, undefined, 'export_session', { session_id: id.session }],
      [
        'POST',
        `/v1/sessions/${id.session}/messages`,
        { role: 'user', content: 'x' },
        'add_message',
        { session_id: id.session, role: 'user', content: 'x' },
      ],
      ['GET', `/v1/reflections/${id.reflection}`, undefined, 'get_reflection', { reflection_id: id.reflection }],
      ['DELETE', `/v1/reflections/${id.reflection}`, undefined, 'delete_reflection', { reflection_id: id.reflection }],
      ['DELETE', `/v1/sessions/${id.session}`, undefined, 'delete_session', { session_id: id.session }],
    ] as const;

  it('another project’s record answers 404 exactly like a missing one, over REST and MCP, and is not changed', async () => {
    const absent = cases({ session: missing, reflection: missing });
    const elsewhere = cases(other);
    for (const [i, [method, path, body, tool, args]] of elsewhere.entries()) {
      const [, missingPath, , , missingArgs] = absent[i] as (typeof absent)[number];
      const a = await doors.rest(method, path, body);
      const b = await doors.rest(method, missingPath, body);
      expect(a.status, `${method} ${path}: ${a.text}`).toBe(404);
      expect(a.text.replaceAll(other.session, 'X').replaceAll(other.reflection, 'X')).toBe(
        b.text.replaceAll(missing, 'X'),
      );
      if (app.operations.find((op) => op.name === tool)?.mcp === false) continue; // REST only
      const c = await doors.mcp(tool, args);
      const d = await doors.mcp(tool, missingArgs);
      expect(c.result?.isError, c.text).toBe(true);
      expect(c.result?.content?.[0]?.text?.replaceAll(other.session, 'X').replaceAll(other.reflection, 'X')).toBe(
        d.result?.content?.[0]?.text?.replaceAll(missing, 'X'),
      );
    }
    token = await app.services.auth.issue('b-user', 'acme', { roles: ['writer'], project: 'beta' });
    expect((await doors.rest('GET', `/v1/sessions/${other.session}/messages`)).json.items).toHaveLength(1);
    expect((await doors.rest('GET', `/v1/reflections/${other.reflection}`)).status).toBe(200);
  });
});
