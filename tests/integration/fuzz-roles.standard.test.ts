import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Application, createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { ROLE_SCOPES, ROLES } from '../../src/core/roles.js';
import { testConfig } from '../helpers/config.js';
import { expectNoLeak, frontDoors } from '../helpers/front-doors.js';
import { standardApplication } from '../helpers/standard-app.js';

const SECRET = 'fuzz-roles-secret-fuzz-roles-secret-0123';
const CONFIG = { mcp: { enabled: true }, auth: { enabled: true, secret: SECRET } };
/** Allowed calls of these would act outside the test (files, remote services): only their refusals are checked. */
const NOT_RUN_WHEN_ALLOWED = new Set(['create_snapshot', 'sync_now']);
const SOME_ID = '00000000-0000-4000-8000-000000000000';

const STORES: Array<[string, () => Promise<{ app: Application; cleanup(): Promise<void> }>]> = [
  [
    'lite (SQLite)',
    async () => ({
      app: await createApplication(testConfig(CONFIG), createLogger('silent'), { defaultMetrics: false }),
      cleanup: async () => undefined,
    }),
  ],
  ['standard (PostgreSQL + Redis)', () => standardApplication('fuzz-roles', CONFIG)],
];

/**
 * Issue 10, roles fuzz: every catalogue operation × every role, over REST and MCP, derived from the operations'
 * declared scopes: allowed → never 401/403 and never 5xx; refused → 403 problem+json / MCP isError, and nothing
 * stored changed. Inputs are empty (path parameters a well-formed id), so the suite stays bounded in time.
 */
describe.each(STORES)('roles matrix over the whole catalogue: %s', (_name, open) => {
  let app: Application;
  let cleanup: () => Promise<void>;
  let token: string | undefined;
  let doors: ReturnType<typeof frontDoors>;

  beforeAll(async () => {
    ({ app, cleanup } = await open());
    doors = frontDoors(app, () => token);
  });
  afterAll(async () => {
    await app?.close();
    await cleanup?.();
  });

  for (const role of ROLES) {
    it(`${role}: every operation answers as its scope says, over REST and MCP`, async () => {
      token = await app.services.auth.issue(`${role}-fuzz`, `t-${role}`, { roles: [role] });
      const sessionsBefore = (await app.store.sessions.list(`t-${role}`, { limit: 100 } as never)) as unknown;
      for (const op of app.operations) {
        const allowed = ROLE_SCOPES[role].includes(op.scope);
        if (allowed && NOT_RUN_WHEN_ALLOWED.has(op.name)) continue;
        if (op.rest) {
          const path = op.rest.path.replace(/:(\w+)/g, op.rest.path.includes('workflow') ? 'wf-1' : SOME_ID);
          const answer = await doors.rest(
            op.rest.method.toUpperCase(),
            path,
            op.rest.method === 'get' || op.rest.method === 'delete' ? undefined : {},
          );
          const what = `${role} ${op.name} REST ${answer.status}: ${answer.text.slice(0, 200)}`;
          if (allowed) {
            expect([401, 403].includes(answer.status), what).toBe(false);
            // 503 `unavailable` names a dependency that is not there (no analytics owner in this one-process test).
            const unavailable = answer.status === 503 && answer.json.code === 'unavailable';
            expect(answer.status < 500 || unavailable, what).toBe(true);
          } else {
            expect(answer.status, what).toBe(403);
            expect(answer.json, what).toMatchObject({ status: 403, code: 'forbidden' });
          }
          expectNoLeak(answer.text);
        }
        if (op.mcp !== false) {
          const call = await doors.mcp(op.name, {});
          const what = `${role} ${op.name} MCP: ${call.text.slice(0, 200)}`;
          expect(call.status, what).toBe(200);
          if (allowed) expect(call.result?.content?.[0]?.text ?? '', what).not.toMatch(/^forbidden: /);
          else {
            expect(call.result?.isError, what).toBe(true);
            expect(call.result?.content?.[0]?.text, what).toMatch(/^forbidden: .* role/);
          }
          expectNoLeak(call.text);
        }
      }
      const sessionsAfter = (await app.store.sessions.list(`t-${role}`, { limit: 100 } as never)) as unknown;
      expect(sessionsAfter).toEqual(sessionsBefore);
    });
  }
});
