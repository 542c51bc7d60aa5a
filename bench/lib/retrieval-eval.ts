import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { queryWords } from '../../src/repositories/query-words.js';
import { packageRoot } from './paths.js';

/** The small labelled conversations of tests/fixtures/conversation-retrieval.json (contract tests). */
export interface ConversationFixture {
  sessions: Array<{ key: string; project: string; messages: Array<[string, string]> }>;
  questions: Array<{ q: string; category: string; evidence: string[] }>;
}

/**
 * A labelled set in one shape whatever its source: sessions with their project and time, messages with their
 * role and time, questions with the project they are asked in (searches and the baseline are scoped to it).
 */
export interface LabelledSet {
  name: string;
  sessions: Array<{
    key: string;
    project: string;
    startedAt: string;
    messages: Array<{ key: string; role: 'user' | 'assistant'; content: string; createdAt: string }>;
  }>;
  questions: Array<{ q: string; category: string; evidence: string[]; project: string }>;
}

export function loadConversations(): ConversationFixture {
  return JSON.parse(
    readFileSync(join(packageRoot(), 'tests', 'fixtures', 'conversation-retrieval.json'), 'utf8'),
  ) as ConversationFixture;
}

/** One file of tests/fixtures/retrieval-set (format checked by scripts/check-retrieval-set.mjs). */
interface ProjectFile {
  project: string;
  sessions: Array<{ key: string; startedAt: string; messages: Array<[string, 'user' | 'assistant', string]> }>;
  questions: Array<{ q: string; category: string; evidence: string[] }>;
}

/** A message's time: its session's start plus one minute per turn. */
const TURN_MS = 60_000;

/**
 * The labelled retrieval set of issue 11 (tests/fixtures/retrieval-set/*.json: one development project per file,
 * sessions with real dates), or the small fixture when the directory is empty or `small` is asked for.
 */
export function loadLabelledSet(which: 'set' | 'small' = 'set'): LabelledSet {
  const dir = join(packageRoot(), 'tests', 'fixtures', 'retrieval-set');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  if (which === 'small' || files.length === 0) return fromFixture(loadConversations());
  const set: LabelledSet = { name: 'retrieval-set', sessions: [], questions: [] };
  for (const file of files.sort()) {
    const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProjectFile;
    for (const s of p.sessions) {
      const start = Date.parse(s.startedAt);
      set.sessions.push({
        key: s.key,
        project: p.project,
        startedAt: s.startedAt,
        messages: s.messages.map(([key, role, content], j) => ({
          key,
          role,
          content,
          createdAt: new Date(start + j * TURN_MS).toISOString(),
        })),
      });
    }
    for (const q of p.questions) set.questions.push({ ...q, project: p.project });
  }
  return set;
}

/** The small fixture as a labelled set: one day per session, alternating roles, questions in their evidence's project. */
export function fromFixture(fixture: ConversationFixture): LabelledSet {
  const base = Date.parse('2026-02-01T00:00:00Z');
  const projectOf = new Map<string, string>();
  const sessions = fixture.sessions.map((s, i) => {
    const startedAt = new Date(base + i * 86_400_000).toISOString();
    for (const [key] of s.messages) projectOf.set(key, s.project);
    return {
      key: s.key,
      project: s.project,
      startedAt,
      messages: s.messages.map(([key, content], j) => ({
        key,
        role: j % 2 === 0 ? ('user' as const) : ('assistant' as const),
        content,
        createdAt: startedAt,
      })),
    };
  });
  const questions = fixture.questions.map((q) => ({ ...q, project: projectOf.get(q.evidence[0] ?? '') ?? '' }));
  return { name: 'conversation-retrieval', sessions, questions };
}

export interface Figures {
  /** Share of questions with an evidence message in the top 5 / top 10. */
  hit5: number;
  hit10: number;
  /** Mean share of a question's evidence found in the top 10. */
  recall10: number;
}

/** Scores ranked key lists (best first, one per question; `only` picks questions) against the evidence. */
export function figures(
  questions: Array<{ evidence: string[] }>,
  ranked: string[][],
  only: (i: number) => boolean = () => true,
): Figures {
  let n = 0;
  let hit5 = 0;
  let hit10 = 0;
  let recall10 = 0;
  questions.forEach((question, i) => {
    if (!only(i)) return;
    n++;
    const list = ranked[i] ?? [];
    const ev = new Set(question.evidence);
    if (list.slice(0, 5).some((k) => ev.has(k))) hit5++;
    if (list.slice(0, 10).some((k) => ev.has(k))) hit10++;
    recall10 += list.slice(0, 10).filter((k) => ev.has(k)).length / ev.size;
  });
  return { hit5: hit5 / n, hit10: hit10 / n, recall10: recall10 / n };
}

/**
 * Finding the right session: each question's evidence sessions (the sessions holding its evidence messages, several
 * for a multi-hop question).
 */
export function evidenceSessions(set: LabelledSet): string[][] {
  const sessionOf = sessionKeys(set);
  return set.questions.map((q) => [...new Set(q.evidence.map((k) => sessionOf.get(k) ?? k))]);
}

/** Each message key's session key. */
export function sessionKeys(set: LabelledSet): Map<string, string> {
  return new Map(set.sessions.flatMap((s) => s.messages.map((m) => [m.key, s.key] as const)));
}

/**
 * The share of questions with one of their evidence sessions among the first `k` of a ranked list of session keys
 * (`only` picks questions).
 */
export function sessionHit(
  evidence: string[][],
  ranked: string[][],
  k: number,
  only: (i: number) => boolean = () => true,
): number {
  let n = 0;
  let hits = 0;
  evidence.forEach((sessions, i) => {
    if (!only(i)) return;
    n++;
    if ((ranked[i] ?? []).slice(0, k).some((key) => sessions.includes(key))) hits++;
  });
  return hits / n;
}

/**
 * The plain baseline of issue 11: SQLite FTS5 with porter stemming, stop words removed from the query, bm25,
 * no service — over the same messages, in an in-memory index per project (`scope` 'project': each question
 * searches its own project) or one for the whole set ('all'), as the searches under test do. Top 10 keys per question.
 */
export function baselineRanking(set: LabelledSet, scope: 'project' | 'all' = 'project'): string[][] {
  const db = new Database(':memory:');
  const projectOf = (project: string) => (scope === 'all' ? '' : project);
  try {
    const projects = [...new Set(set.sessions.map((s) => projectOf(s.project)))];
    const table = new Map(projects.map((p, i) => [p, `m${i}`]));
    for (const [project, name] of table) {
      db.exec(`CREATE VIRTUAL TABLE ${name} USING fts5(key UNINDEXED, content, tokenize='porter unicode61')`);
      const insert = db.prepare(`INSERT INTO ${name} (key, content) VALUES (?, ?)`);
      for (const s of set.sessions)
        if (projectOf(s.project) === project) for (const m of s.messages) insert.run(m.key, m.content);
    }
    const queries = new Map(
      [...table].map(([project, name]) => [
        project,
        db.prepare(`SELECT key FROM ${name} WHERE ${name} MATCH ? ORDER BY bm25(${name}) LIMIT 10`).pluck(),
      ]),
    );
    return set.questions.map((question) => {
      const words = queryWords(question.q);
      const query = queries.get(projectOf(question.project));
      return words.length && query ? (query.all(words.map((w) => `"${w}"`).join(' OR ')) as string[]) : [];
    });
  } finally {
    db.close();
  }
}
