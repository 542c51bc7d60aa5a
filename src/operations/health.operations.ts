import { z } from 'zod';
import { defineOperation, type Operation, READ } from './operation.js';

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

/** MCP (and CLI) only: over HTTP, /healthz and /readyz answer (src/http/routes/system.routes.ts). */
export function healthOperations(): Operation[] {
  return [
    defineOperation({
      name: 'health_check',
      title: 'Health check',
      description:
        'Report the server version, mode (lite or standard) and the state of each dependency ' +
        '(SQLite or PostgreSQL, Redis in standard mode). status is "degraded" when a critical dependency is down.',
      input: z.strictObject({}),
      output: healthOutput,
      annotations: READ,
      scope: 'read',
      run: async ({ services }) => {
        const report = await services.health.report();
        // Spread into plain object types, which the loose output schema's index signature accepts.
        return { ...report, dependencies: report.dependencies.map((d) => ({ ...d })) };
      },
      summary: (h) => {
        const deps = h.dependencies.map((d) => `${d.name} ${d.state}`).join(', ');
        return `${h.name} ${h.version} (${h.mode}): ${h.status}; ${deps}.`;
      },
    }),
  ];
}
