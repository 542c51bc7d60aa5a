import type { Checkpoint } from '../../domain/lifecycle.model.js';
import type { Session } from '../../domain/session.model.js';
import type { SessionSummary } from '../../domain/summary.model.js';

export interface HandoffInput {
  session: Session;
  checkpoint: Checkpoint;
  summary: SessionSummary;
  nextSteps: string[];
  parentSessionId: string | null;
  workflowId: string | null;
}

const bullets = (items: readonly string[]): string =>
  items.length ? items.map((item) => `- ${item}`).join('\n') : '- (none)';

/** The Markdown hand-off document end_session returns: what the next agent reads first. */
export function renderHandoff(h: HandoffInput): string {
  const { session, checkpoint, summary } = h;
  const lines = [
    `# Hand-off: ${session.name}`,
    '',
    `- Session: ${session.id} (project ${session.project}, ${session.status})`,
    ...(h.workflowId ? [`- Workflow: ${h.workflowId}`] : []),
    ...(h.parentSessionId ? [`- Delegated by session: ${h.parentSessionId}`] : []),
    `- Messages: ${checkpoint.messageCount}; ended ${checkpoint.createdAt}`,
    ...(checkpoint.qualityScore !== null ? [`- Quality score: ${checkpoint.qualityScore}`] : []),
    '',
    '## Summary',
    '',
    checkpoint.summary ?? '(none)',
    '',
    '## Decisions',
    '',
    bullets(summary.decisions),
    '',
    '## Open tasks',
    '',
    bullets(checkpoint.openTasks),
    '',
    '## Next steps',
    '',
    bullets(h.nextSteps),
    '',
    '## Files',
    '',
    bullets(checkpoint.files),
  ];
  if (summary.errors.length) lines.push('', '## Errors seen', '', bullets(summary.errors.map((e) => e.line)));
  return `${lines.join('\n')}\n`;
}

/** A summary in prose from the extractive one: goal, decisions, outcome. */
export function summaryText(summary: SessionSummary): string {
  const parts = [
    summary.goal ? `Goal: ${summary.goal}` : undefined,
    summary.decisions.length ? `Decisions: ${summary.decisions.slice(0, 5).join(' ')}` : undefined,
    summary.outcome ? `Latest: ${summary.outcome}` : undefined,
    `${summary.counts.messages} message(s).`,
  ];
  return parts.filter((p) => p !== undefined).join('\n');
}
