import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app.js';
import { ROLES, type Role } from '../../src/core/roles.js';
import { expectNoLeak, frontDoors } from '../helpers/front-doors.js';

export const ROLES_TEST_SECRET = 'roles-contract-secret-roles-contract-secret';

/** The config a roles contract application runs with (plus its store): auth on, MCP and admin pages served. */
export const ROLES_TEST_CONFIG = {
  mcp: { enabled: true },
  auth: { enabled: true, secret: ROLES_TEST_SECRET },
  admin: { enabled: true, allowRemote: true },
};

type Door = 'read' | 'write' | 'deadLetters' | 'queueStats' | 'adminPage' | 'metrics';

/** The documented matrix (docs/security.md): which role passes which door. */
const MATRIX: Record<Role, Door[]> = {
  reader: ['read'],
  writer: ['read', 'write'],
  operator: ['read', 'deadLetters', 'queueStats', 'adminPage', 'metrics'],
  admin: ['read', 'write', 'deadLetters', 'queueStats', 'adminPage', 'metrics'],
};

/**
 * Issue 10, roles: every operation's `scope` is enforced in the operation runner, so REST and MCP give the same
 * answer to the same token; the admin pages and `/metrics` follow the same matrix.
 */
export function describeRoles(name: string, open: () => Promise<{ app: Application; cleanup(): Promise<void> }>) {
  describe(`roles: ${name}`, () => {
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

    const rest: Record<Door, () => Promise<{ status: number; text: string }>> = {
      read: () => doors.rest('GET', '/v1/sessions'),
      write: () => doors.rest('POST', '/v1/sessions', { name: 'roles' }),
      deadLetters: () => doors.rest('GET', '/v1/dead-letters'),
      queueStats: () => doors.rest('GET', '/v1/queues/stats'),
      adminPage: () => doors.rest('GET', '/admin/dead-letters'),
      metrics: () => doors.rest('GET', '/metrics'),
    };
    const tools: Partial<Record<Door, [string, Record<string, unknown>]>> = {
      read: ['list_sessions', {}],
      write: ['create_session', { name: 'roles' }],
      deadLetters: ['list_dead_letters', {}],
      queueStats: ['queue_stats', {}],
    };

    for (const role of ROLES) {
      it(`${role}: REST and MCP pass exactly the doors of the matrix; a refusal is 403 naming the role needed`, async () => {
        token = await app.services.auth.issue(`${role}-user`, 'acme', { roles: [role] });
        for (const door of Object.keys(rest) as Door[]) {
          const allowed = MATRIX[role].includes(door);
          const answer = await rest[door]();
          expect(answer.status, `${role} ${door} REST: ${answer.text.slice(0, 200)}`).toBe(
            allowed ? (door === 'write' ? 201 : 200) : 403,
          );
          if (!allowed && door !== 'adminPage') {
            expect(JSON.parse(answer.text)).toMatchObject({ status: 403, code: 'forbidden' });
            expect(answer.text).toMatch(door === 'write' ? /writer or admin role/ : /operator or admin role/);
          }
          expectNoLeak(answer.text);
          const tool = tools[door];
          if (!tool) continue;
          const call = await doors.mcp(tool[0], tool[1]);
          expect(call.status, call.text).toBe(200);
          expect(Boolean(call.result?.isError), `${role} ${door} MCP: ${call.text.slice(0, 200)}`).toBe(!allowed);
          if (!allowed) expect(call.result?.content?.[0]?.text).toMatch(/^forbidden: .* role/);
        }
      });
    }

    it('a token without a roles claim has auth.defaultRole (writer); unknown role names grant nothing', async () => {
      token = await app.services.auth.issue('legacy', 'acme');
      expect((await rest.write()).status).toBe(201);
      expect((await rest.deadLetters()).status).toBe(403);
      const { SignJWT } = await import('jose');
      token = await new SignJWT({ tenant: 'acme', roles: ['superuser', 'root'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('nobody')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(ROLES_TEST_SECRET));
      const read = await rest.read();
      expect(read.status).toBe(403);
      expect(read.text).toMatch(/roles are none/);
      expect((await doors.mcp('list_sessions', {})).result?.isError).toBe(true);
    });

    it('a forbidden write changes nothing', async () => {
      token = await app.services.auth.issue('reader', 'quiet', { roles: ['reader'] });
      expect((await rest.write()).status).toBe(403);
      expect((await doors.mcp('create_session', { name: 'roles' })).result?.isError).toBe(true);
      const list = await doors.rest('GET', '/v1/sessions');
      expect(JSON.parse(list.text).items).toEqual([]);
    });

    it('a project claim keeps a token in its project: filled in when omitted, 403 for another', async () => {
      token = await app.services.auth.issue('p-user', 'projects', { roles: ['writer'], project: 'alpha' });
      const own = await doors.rest('POST', '/v1/sessions', { name: 'in alpha' });
      expect(own.status, own.text).toBe(201);
      expect(JSON.parse(own.text).project).toBe('alpha');
      const other = await doors.rest('POST', '/v1/sessions', { name: 'in beta', project: 'beta' });
      expect(other.status).toBe(403);
      expect(other.text).toMatch(/project 'alpha' only/);
      const mcp = await doors.mcp('create_session', { name: 'in beta', project: 'beta' });
      expect(mcp.result?.isError).toBe(true);
      token = await app.services.auth.issue('w', 'projects', { roles: ['writer'] });
      expect((await doors.rest('POST', '/v1/sessions', { name: 'in beta', project: 'beta' })).status).toBe(201);
      token = await app.services.auth.issue('p-user', 'projects', { roles: ['reader'], project: 'alpha' });
      const listed = JSON.parse((await doors.rest('GET', '/v1/sessions')).text) as {
        items: Array<{ project: string }>;
      };
      expect(listed.items.map((s) => s.project)).toEqual(['alpha']);
    });
  });
}
