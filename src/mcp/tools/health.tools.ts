import { z } from 'zod';
import type { Services } from '../../app.js';
import { defineTool, summaryWithJson, type ToolDef } from '../tool-registry.js';

const healthOutput = z.object({
  status: z.enum(['ok', 'degraded']),
  name: z.string(),
  version: z.string(),
  mode: z.enum(['lite', 'standard']),
  uptimeSeconds: z.number(),
  ready: z.boolean(),
  dependencies: z.array(
    z.object({
      name: z.string(),
      state: z.enum(['up', 'down']),
      latencyMs: z.number(),
      error: z.string().optional(),
    }),
  ),
});

export function healthTools({ health }: Services): ToolDef[] {
  return [
    defineTool({
      name: 'health_check',
      title: 'Health check',
      description:
        'Report the server version, mode (lite or standard) and the state of each dependency ' +
        '(SQLite or PostgreSQL, Redis in standard mode). status is "degraded" when a dependency is down.',
      input: z.strictObject({}),
      output: healthOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: async () => {
        const readiness = await health.readiness();
        const live = health.liveness();
        return { ...live, status: readiness.ready ? ('ok' as const) : ('degraded' as const), ...readiness };
      },
      text: (h) => {
        const deps = h.dependencies.map((d) => `${d.name} ${d.state}`).join(', ');
        return summaryWithJson(`${h.name} ${h.version} (${h.mode}): ${h.status}; ${deps}.`, h);
      },
    }),
  ];
}
