import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Queue } from 'bullmq';
import { Hono } from 'hono';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/** What the dashboard needs from the BullMQ backend: its queues as they are now. */
export interface BullQueueSource {
  bullQueues(): Queue[];
}

export interface QueueDashboard {
  fetch(request: Request, env: unknown): Response | Promise<Response>;
}

/**
 * The BullMQ dashboard (`@bull-board/hono`) at `/admin/queues`. Its packages are imported here, on first use, so
 * neither lite mode nor an API that never shows the dashboard loads them. Before each request the board is given
 * the backend's current Queue objects, since the backend replaces a Queue whose connection failed at start-up.
 */
export async function createQueueDashboard(source: BullQueueSource): Promise<QueueDashboard> {
  const [{ createBullBoard }, { BullMQAdapter }, { HonoAdapter }, { serveStatic }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/hono'),
    import('@hono/node-server/serve-static'),
  ]);
  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(QUEUE_DASHBOARD_PATH);
  let current = source.bullQueues();
  const board = createBullBoard({
    queues: current.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: {
      // The UI's views and static files, found from the installed @bull-board/hono (works when not hoisted too).
      uiBasePath: uiPackageDir(),
      uiConfig: {
        boardTitle: 'Session-Buddy',
        miscLinks: [{ text: 'Dead letters', url: '/admin/dead-letters' }],
      },
    },
  });
  const app = new Hono();
  app.route(QUEUE_DASHBOARD_PATH, serverAdapter.registerPlugin());
  return {
    fetch(request, env) {
      const now = source.bullQueues();
      if (now.some((queue, i) => queue !== current[i])) {
        board.replaceQueues(now.map((queue) => new BullMQAdapter(queue)));
        current = now;
      }
      return app.fetch(request, env);
    },
  };
}

function uiPackageDir(): string {
  const fromHere = createRequire(import.meta.url);
  const fromAdapter = createRequire(fromHere.resolve('@bull-board/hono'));
  return dirname(fromAdapter.resolve('@bull-board/ui/package.json'));
}

export function hasBullQueues(value: unknown): value is BullQueueSource {
  return typeof (value as Partial<BullQueueSource>).bullQueues === 'function';
}
