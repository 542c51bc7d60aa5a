import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { queryWords } from '../../src/repositories/query-words.js';
import { packageRoot } from './paths.js';

/** The labelled conversations of tests/fixtures/conversation-retrieval.json. */
export interface ConversationFixture {
  sessions: Array<{ key: string; project: string; messages: Array<[string, string]> }>;
  questions: Array<{ q: string; category: string; evidence: string[] }>;
}

export function loadConversations(): ConversationFixture {
  return JSON.parse(
    readFileSync(join(packageRoot(), 'tests', 'fixtures', 'conversation-retrieval.json'), 'utf8'),
  ) as ConversationFixture;
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
  questions: ConversationFixture['questions'],
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
 * The plain baseline of issue 11: SQLite FTS5 with porter stemming, stop words removed from the query, bm25,
 * no service — over the same messages, in its own in-memory database. Top 10 keys per question.
 */
export function baselineRanking(fixture: ConversationFixture): string[][] {
  const db = new Database(':memory:');
  try {
    db.exec(`CREATE VIRTUAL TABLE m USING fts5(key UNINDEXED, content, tokenize='porter unicode61')`);
    const insert = db.prepare('INSERT INTO m (key, content) VALUES (?, ?)');
    for (const s of fixture.sessions) for (const [key, content] of s.messages) insert.run(key, content);
    const query = db.prepare('SELECT key FROM m WHERE m MATCH ? ORDER BY bm25(m) LIMIT 10').pluck();
    return fixture.questions.map((question) => {
      const words = queryWords(question.q);
      return words.length ? (query.all(words.map((w) => `"${w}"`).join(' OR ')) as string[]) : [];
    });
  } finally {
    db.close();
  }
}
