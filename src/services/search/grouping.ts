import type { Message } from '../../domain/message.model.js';
import type { Reflection } from '../../domain/reflection.model.js';
import type { AnyHit, ConversationGroup, ItemKind, Related, SearchHit, SearchRun } from '../../domain/search.model.js';
import type { Session } from '../../domain/session.model.js';
import { snippetFor } from './snippets.js';

/** Reflections and messages in one list, best first; on equal scores reflections (curated) come first. */
export function mergeByScore(reflections: Array<SearchHit<Reflection>>, messages: Array<SearchHit<Message>>): AnyHit[] {
  const all: AnyHit[] = [
    ...reflections.map((h) => ({ kind: 'reflection' as const, ...h })),
    ...messages.map((h) => ({ kind: 'message' as const, ...h })),
  ];
  const order: Record<ItemKind, number> = { reflection: 0, message: 1 };
  return all.sort((a, b) => b.score - a.score || order[a.kind] - order[b.kind] || a.item.id.localeCompare(b.item.id));
}

/** One description of several runs (one per kind, sharing the query vector). */
export function combineRuns(runs: SearchRun[]): SearchRun {
  const [first] = runs;
  const degraded = runs.find((r) => r.degraded)?.degraded;
  return {
    mode: first?.mode ?? 'keyword',
    model: runs.find((r) => r.model !== null)?.model ?? null,
    ...(degraded ? { degraded } : {}),
  };
}

/** Names weighted by the scores of the hits carrying them, heaviest first. */
export function tally(entries: Array<{ names: string[]; score: number }>): Related[] {
  const byName = new Map<string, Related>();
  for (const { names, score } of entries) {
    for (const name of new Set(names)) {
      const r = byName.get(name) ?? { name, count: 0, weight: 0 };
      r.count++;
      r.weight += score;
      byName.set(name, r);
    }
  }
  return [...byName.values()].sort((a, b) => b.weight - a.weight || a.name.localeCompare(b.name));
}

/**
 * Message hits (best first) as conversations: one group per session in the order of its best message, at most
 * `limit` groups and `perSession` messages each. Sessions that vanished meanwhile are left out.
 */
export function groupBySession(
  hits: Array<SearchHit<Message>>,
  sessions: Map<string, Session>,
  query: string,
  limit: number,
  perSession: number,
): ConversationGroup[] {
  const bySession = new Map<string, Array<SearchHit<Message>>>();
  for (const hit of hits) {
    const group = bySession.get(hit.item.sessionId) ?? [];
    group.push(hit);
    bySession.set(hit.item.sessionId, group);
  }
  const groups: ConversationGroup[] = [];
  for (const [sessionId, group] of bySession) {
    const session = sessions.get(sessionId);
    if (!session) continue;
    groups.push({
      sessionId,
      project: session.project,
      name: session.name,
      status: session.status,
      bestScore: group[0]?.score ?? 0,
      matchCount: group.length,
      messages: group.slice(0, perSession).map((h) => ({
        id: h.item.id,
        seq: h.item.seq,
        role: h.item.role,
        createdAt: h.item.createdAt,
        score: h.score,
        snippet: snippetFor(h.item.content, query),
      })),
    });
    if (groups.length === limit) break;
  }
  return groups;
}

/** The first `limit` session ids in order of their best hit. */
export function topSessionIds(hits: Array<SearchHit<Message>>, limit: number): string[] {
  return [...new Set(hits.map((h) => h.item.sessionId))].slice(0, limit);
}
