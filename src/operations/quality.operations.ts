import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import {
  type QualityTrends,
  qualityHistorySchema,
  qualityRunSchema,
  qualitySchemas,
  qualityTrendsSchema,
} from '../domain/quality.model.js';
import { CREATE, defineOperation, type Operation, READ } from './operation.js';

const stored = z.object({ run: qualityRunSchema, created: z.boolean() });

function trendsSummary(t: QualityTrends): string {
  const tools = t.tools.map((x) => `${x.tool} ${x.latest.passed} passed/${x.latest.failed} failed`).join(', ');
  return (
    `Quality of ${t.project} over ${t.period}: ${t.runs} run(s)${tools ? ` (latest: ${tools})` : ''}; ` +
    `${t.regressions.length} regression(s) flagged.`
  );
}

/**
 * Crackerjack's contract: record quality runs, read trends with regressions flagged. `crackerjack_history` and
 * `crackerjack_metrics` are the original system's names and argument keys for the same service.
 */
export function qualityOperations(limits: Config['limits']): Operation[] {
  const schemas = qualitySchemas(limits.metadataBytes);
  return [
    defineOperation({
      name: 'record_quality_run',
      title: 'Record quality run',
      description:
        'Record one run of a quality tool on a project (tests passed/failed/skipped, coverage %, lint errors, ' +
        'duration), optionally tied to a session and a commit. A repeated idempotency_key returns the stored run ' +
        '(created=false).',
      input: schemas.record,
      output: stored,
      annotations: CREATE,
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/quality-runs',
        operationId: 'recordQualityRun',
        tag: 'quality',
        responses: {
          201: { description: 'Stored', schema: stored },
          200: { description: 'Replay of an earlier request with the same idempotency key', schema: stored },
        },
        respond: (c, result) => c.json(result, result.created ? 201 : 200),
      },
      run: ({ services, principal }, input) => services.quality.record(principal, input),
      summary: (r) =>
        `${r.created ? 'Recorded' : 'Already recorded'} ${r.run.tool} run on ${r.run.project}` +
        `${r.run.commit ? `@${r.run.commit}` : ''}: ${r.run.passed} passed, ${r.run.failed} failed.`,
    }),
    defineOperation({
      name: 'get_quality_trends',
      title: 'Quality trends',
      description:
        'Quality of a project over a period (e.g. "30d"), per tool: per day and per commit (the figures of the ' +
        'last run of each), each flagged against the one before when failures went up, coverage went down or ' +
        'lint errors went up; regressions lists every flagged day or commit, newest first.',
      input: schemas.trends,
      output: qualityTrendsSchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/quality-runs/trends', operationId: 'getQualityTrends', tag: 'quality' },
      run: ({ services, principal }, input) => services.quality.trends(principal, input),
      summary: trendsSummary,
    }),
    defineOperation({
      name: 'crackerjack_history',
      title: 'Crackerjack history',
      description:
        "Crackerjack's name for the quality runs of a project, newest first: working_directory (or project), " +
        'command_filter (text in the tool name), days (default 7).',
      input: schemas.history,
      output: qualityHistorySchema,
      annotations: READ,
      scope: 'read',
      rest: { method: 'get', path: '/v1/quality-runs', operationId: 'listQualityRuns', tag: 'quality' },
      run: ({ services, principal }, input) => services.quality.history(principal, input),
      summary: (h) => `${h.items.length} quality run(s) of ${h.project} since ${h.since.slice(0, 10)}.`,
    }),
    defineOperation({
      name: 'crackerjack_metrics',
      title: 'Crackerjack metrics',
      description:
        "Crackerjack's name for get_quality_trends: working_directory (or project) and days (default 30) " +
        'instead of period.',
      input: schemas.metrics,
      output: qualityTrendsSchema,
      annotations: READ,
      scope: 'read',
      run: ({ services, principal }, { days, ...rest }) =>
        services.quality.trends(principal, { ...rest, period: `${days}d` }),
      summary: trendsSummary,
    }),
  ];
}
