import type { DuckDBConnection } from '@duckdb/node-api';
import type { Principal } from '../../core/principal.js';
import {
  INSIGHT_DAYS_DEFAULT,
  WORKFLOW_KEYS,
  WORKFLOWS_MAX,
  type WorkflowMetrics,
  type WorkflowMetricsInput,
} from '../../domain/analytics.model.js';
import { dataAsOf, dayWindow, iso, num, rows } from './facts-sql.js';

/** A session's workflow id: the first of WORKFLOW_KEYS its metadata carries as a non-empty scalar. */
const WORKFLOW_ID = `nullif(coalesce(${WORKFLOW_KEYS.map((k) => `json_extract_string(metadata, '$."${k}"')`).join(', ')}), '')`;

/**
 * get_workflow_metrics: a workflow is the set of sessions whose metadata names the same workflow id. Listed when
 * one of its sessions changed in the window (none: all time); its figures cover all its sessions.
 */
export async function workflowMetrics(
  c: DuckDBConnection,
  principal: Principal,
  input: WorkflowMetricsInput,
  now: Date,
): Promise<WorkflowMetrics> {
  const days = input.days ?? (input.workflowId ? null : INSIGHT_DAYS_DEFAULT);
  const since = days === null ? null : iso(dayWindow(now, days).fromMs);
  const project = input.project ?? null;
  const found = await rows(
    c,
    `WITH ws AS (
       SELECT ${WORKFLOW_ID} AS workflow_id, id, project, status, message_count, created_at, updated_at
       FROM facts.sessions WHERE tenant_id = $1 AND ($3::VARCHAR IS NULL OR project = $3)),
     w AS (
       SELECT workflow_id, count(*)::DOUBLE AS sessions,
              count(*) FILTER (WHERE status = 'active')::DOUBLE AS active,
              count(*) FILTER (WHERE status = 'ended')::DOUBLE AS ended,
              count(*) FILTER (WHERE status = 'archived')::DOUBLE AS archived,
              list(DISTINCT project ORDER BY project) AS projects, sum(message_count)::DOUBLE AS messages,
              epoch_ms(min(created_at))::DOUBLE AS first, epoch_ms(max(updated_at))::DOUBLE AS last,
              list(id ORDER BY updated_at DESC, id)[1:50] AS ids
       FROM ws WHERE workflow_id IS NOT NULL AND ($2::VARCHAR IS NULL OR workflow_id = $2)
       GROUP BY workflow_id
       HAVING $4::TIMESTAMPTZ IS NULL OR max(updated_at) >= $4::TIMESTAMPTZ)
     SELECT w.*, (SELECT count(*) FROM facts.reflections r JOIN ws ON ws.id = r.session_id
                  WHERE r.tenant_id = $1 AND ws.workflow_id = w.workflow_id)::DOUBLE AS reflections
     FROM w ORDER BY last DESC, workflow_id LIMIT ${WORKFLOWS_MAX + 1}`,
    [principal.tenantId, input.workflowId ?? null, project, since],
  );
  return {
    workflowId: input.workflowId ?? null,
    project,
    days,
    workflows: found.slice(0, WORKFLOWS_MAX).map((r) => ({
      workflowId: String(r.workflow_id),
      sessions: num(r.sessions),
      byStatus: { active: num(r.active), ended: num(r.ended), archived: num(r.archived) },
      projects: (r.projects as string[]).map(String),
      messages: num(r.messages),
      reflections: num(r.reflections),
      firstActivityAt: iso(num(r.first)),
      lastActivityAt: iso(num(r.last)),
      durationSeconds: Math.max(0, (num(r.last) - num(r.first)) / 1000),
      sessionIds: (r.ids as string[]).map(String),
    })),
    truncated: found.length > WORKFLOWS_MAX,
    dataAsOf: await dataAsOf(c, ['sessions', 'reflections']),
  };
}
