import { z } from 'zod';
import type { Services } from '../../services/services.js';
import { defineTool, summaryWithJson, type ToolDef } from '../tool-registry.js';

// Loose objects: a field HealthService adds later must not make clients reject the answer.
const healthOutput = z.looseObject({
  status: z.enum(['ok', 'degraded']),
  name: z.string(),
  version: z.string(),
  mode: z.enum(['lite', 'standard']),
  uptimeSeconds: z.number(),
  ready: z.boolean(),
  dependencies: z.array(
    z.looseObject({
      name: z.string(),
      state: z.enum(['up', 'down']),
      /** A down non-critical dependency leaves the service ready. */
      critical: z.boolean(),
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
        '(SQLite or PostgreSQL, Redis in standard mode). status is "degraded" when a critical dependency is down.',
      input: z.strictObject({}),
      output: healthOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: async () => {
        const { ready, dependencies } = await health.readiness();
        return {
          ...health.liveness(),
          status: ready ? ('ok' as const) : ('degraded' as const),
          ready,
          dependencies: dependencies.map((d) => ({ ...d })),
        };
      },
      text: (h) => {
        const deps = h.dependencies.map((d) => `${d.name} ${d.state}`).join(', ');
        return summaryWithJson(`${h.name} ${h.version} (${h.mode}): ${h.status}; ${deps}.`, h);
      },
    }),
  ];
}
