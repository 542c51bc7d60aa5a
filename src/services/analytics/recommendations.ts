import {
  type Evidence,
  type Insights,
  RECOMMENDATION_KINDS,
  type Recommendation,
} from '../../domain/analytics.model.js';

/** Error messages from which a session without a reflection gets a record-lessons recommendation. */
export const LESSON_ERRORS = 3;
/** Sessions from which a topic without a tagged reflection gets a capture-topic recommendation (at most 3). */
export const TOPIC_SESSIONS = 3;
/** Days an active session may go unchanged before close-stale-sessions mentions it. */
export const STALE_DAYS = 7;
/** activity-drop: messages down by this share or more, from at least DROP_MIN_PREVIOUS messages. */
export const DROP_SHARE = 0.5;
export const DROP_MIN_PREVIOUS = 20;

const EVIDENCE_IDS = 10;
const PRIORITY = { high: 0, medium: 1, low: 2 } as const;

export interface RecommendationFacts {
  insights: Omit<Insights, 'recommendations' | 'dataAsOf'>;
  /** Error sessions of the period with the reflections linked to them. */
  errorSessions: ReadonlyArray<{ sessionId: string; errorMessages: number; reflections: number }>;
  /** Active sessions unchanged for STALE_DAYS days or more (oldest first, bounded) and how many there are. */
  stale: { sessionIds: string[]; count: number; days: string[] };
}

export function evidence(part: Partial<Evidence>): Evidence {
  return {
    sessionIds: (part.sessionIds ?? []).slice(0, EVIDENCE_IDS),
    deadLetterIds: (part.deadLetterIds ?? []).slice(0, EVIDENCE_IDS),
    patternIds: part.patternIds ?? [],
    days: part.days ?? [],
    counts: part.counts ?? {},
  };
}

/** Rules over the insights, each citing what it rests on; sorted by priority, kind and message. */
export function recommend({ insights, errorSessions, stale }: RecommendationFacts): Recommendation[] {
  const out: Recommendation[] = [];
  for (const job of insights.errors.byJob) {
    if (job.open === 0) continue;
    out.push({
      kind: 'fix-dead-letters',
      priority: 'high',
      message:
        `${job.open} open dead letter(s) of ${job.queue}/${job.jobName} in the period (last error: ` +
        `${JSON.stringify(job.lastError)}): fix the cause, then retry_dead_letters (or discard_dead_letters).`,
      evidence: evidence({
        deadLetterIds: job.deadLetterIds,
        days: [job.lastFailedAt.slice(0, 10)],
        counts: { deadLetters: job.deadLetters, open: job.open },
      }),
    });
  }
  for (const a of insights.anomalies) {
    const bad = a.metric === 'errorMessages' || a.metric === 'deadLetters' ? a.direction === 'spike' : false;
    out.push({
      kind: 'investigate-anomaly',
      priority: bad ? 'high' : 'medium',
      message:
        `${a.metric} on ${a.day} was ${a.value} against a median of ${a.baselineMedian} over the ` +
        `${a.baselineDays} days before (robust z ${a.robustZ}): ${a.direction === 'spike' ? 'look at' : 'check'} ` +
        `what happened that day${a.evidence.sessionIds.length ? ' in the sessions cited' : ''}.`,
      evidence: a.evidence,
    });
  }
  const lessons = errorSessions.filter((s) => s.errorMessages >= LESSON_ERRORS && s.reflections === 0);
  if (lessons.length > 0) {
    const total = lessons.reduce((n, s) => n + s.errorMessages, 0);
    out.push({
      kind: 'record-lessons',
      priority: 'medium',
      message:
        `${lessons.length} session(s) hit ${LESSON_ERRORS} or more error messages (${total} in all) and have no ` +
        'reflection: store_reflection with what fixed them, so the next session finds it.',
      evidence: evidence({
        sessionIds: lessons.map((s) => s.sessionId),
        counts: { sessions: lessons.length, errorMessages: total },
      }),
    });
  }
  for (const t of insights.topics.filter((t) => t.sessions >= TOPIC_SESSIONS && t.reflections === 0).slice(0, 3)) {
    out.push({
      kind: 'capture-topic',
      priority: 'low',
      message:
        `'${t.term}' came up in ${t.sessions} sessions but no reflection of the period is tagged with it: ` +
        'store what was learnt as a reflection tagged with it.',
      evidence: evidence({ sessionIds: t.exampleSessionIds, counts: { sessions: t.sessions } }),
    });
  }
  for (const p of insights.patterns.filter((p) => p.kind === 'recurring-error' || p.kind === 'anti-pattern')) {
    out.push({
      kind: 'address-pattern',
      priority: 'medium',
      message:
        `${p.kind} pattern '${p.name}' was ${p.createdAt === p.updatedAt ? 'found' : 'seen again'} on ` +
        `${p.updatedAt.slice(0, 10)}${p.occurrences > 0 ? ` (${p.occurrences} occurrences)` : ''}: address its cause.`,
      evidence: evidence({
        patternIds: [p.id],
        days: [p.updatedAt.slice(0, 10)],
        counts: { occurrences: p.occurrences },
      }),
    });
  }
  if (stale.count > 0) {
    out.push({
      kind: 'close-stale-sessions',
      priority: 'low',
      message: `${stale.count} session(s) are still active but unchanged for ${STALE_DAYS} days or more: end or archive them.`,
      evidence: evidence({ sessionIds: stale.sessionIds, days: stale.days, counts: { sessions: stale.count } }),
    });
  }
  const messages = insights.activity.change.messages;
  if (messages.previous >= DROP_MIN_PREVIOUS && messages.current <= messages.previous * (1 - DROP_SHARE)) {
    out.push({
      kind: 'activity-drop',
      priority: 'medium',
      message:
        `Messages fell from ${messages.previous} to ${messages.current} against the previous ${insights.days} ` +
        'day(s): check whether clients still record their sessions.',
      evidence: evidence({
        days: [insights.previousFrom, insights.to],
        counts: { current: messages.current, previous: messages.previous },
      }),
    });
  }
  const kindOrder = (k: Recommendation['kind']) => RECOMMENDATION_KINDS.indexOf(k);
  return out.sort(
    (a, b) =>
      PRIORITY[a.priority] - PRIORITY[b.priority] ||
      kindOrder(a.kind) - kindOrder(b.kind) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}
