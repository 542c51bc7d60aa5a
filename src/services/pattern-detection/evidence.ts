import { EVIDENCE_LIMITS, type PatternEvidence } from '../../domain/pattern.model.js';

/** What one occurrence is made of, as the detectors see it. */
export interface Occurrence {
  type: 'message' | 'reflection';
  id: string;
  sessionId: string | null;
  createdAt: string;
}

/** A session id, or the reflection's own key when it has no session: it then counts as its own item. */
export function sessionKey(o: Occurrence): string {
  return o.sessionId ?? `reflection:${o.id}`;
}

/** Evidence of one run from its occurrences, `samples` in the order given (most telling first). */
export function evidenceOf(
  detector: PatternEvidence['detector'],
  occurrences: Occurrence[],
  samples: Occurrence[],
  extra: Pick<PatternEvidence, 'model' | 'signature'>,
): PatternEvidence {
  const newestFirst = [...occurrences].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const times = occurrences.map((o) => o.createdAt).sort();
  const sessionIds = unique(newestFirst.flatMap((o) => (o.sessionId ? [o.sessionId] : [])));
  return {
    detector,
    itemCount: occurrences.length,
    sessionCount: new Set(occurrences.map(sessionKey)).size,
    sessionIds: sessionIds.slice(0, EVIDENCE_LIMITS.sessionIds),
    samples: samples.slice(0, EVIDENCE_LIMITS.samples).map((o) => ({ type: o.type, id: o.id })),
    firstSeen: times[0] ?? '',
    lastSeen: times[times.length - 1] ?? '',
    ...extra,
  };
}

/**
 * Re-detection: fresh evidence merged into what an earlier run recorded. Lists are unions (fresh first,
 * bounded), counts the largest any run saw, the time span the widest. Merging the same fresh evidence twice
 * gives the same result, so a job that runs twice changes nothing the second time.
 */
export function mergeEvidence(old: PatternEvidence | null, fresh: PatternEvidence): PatternEvidence {
  if (!old || old.detector !== fresh.detector) return fresh;
  const sessionIds = unique([...fresh.sessionIds, ...old.sessionIds]);
  const samples = unique([...fresh.samples, ...old.samples].map((s) => `${s.type}:${s.id}`));
  return {
    ...fresh,
    itemCount: Math.max(old.itemCount, fresh.itemCount),
    sessionCount: Math.max(old.sessionCount, fresh.sessionCount, sessionIds.length),
    sessionIds: sessionIds.slice(0, EVIDENCE_LIMITS.sessionIds),
    samples: samples.slice(0, EVIDENCE_LIMITS.samples).map((key) => {
      const [type, id] = key.split(':') as ['message' | 'reflection', string];
      return { type, id };
    }),
    // ISO 8601 UTC: text order is time order.
    firstSeen: [old.firstSeen, fresh.firstSeen].filter(Boolean).sort()[0] ?? fresh.firstSeen,
    lastSeen: [old.lastSeen, fresh.lastSeen].sort()[1] ?? fresh.lastSeen,
  };
}

/** Fresh examples first, then earlier ones, without repeats, at most `max`. */
export function mergeExamples(old: string[], fresh: string[], max: number): string[] {
  return unique([...fresh, ...old]).slice(0, max);
}

export function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** One line of at most `max` characters. */
export function excerpt(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
