import { STOPWORDS, WORD } from '../pattern-detection/clustering.js';

/** Topics get_insights lists at most, and example sessions per topic. */
const MAX_TOPICS = 15;
const EXAMPLES = 3;
const TERM_CHARS = 64;

export interface SessionText {
  sessionId: string;
  /** The session's name and its first user message of the period. */
  text: string;
}

export interface TaggedReflection {
  sessionId: string | null;
  tags: readonly string[];
}

export interface Topic {
  term: string;
  sessions: number;
  reflections: number;
  exampleSessionIds: string[];
}

/**
 * Recurring topics: the words of each session's text (lowercased, stop words and words under three letters
 * aside, each counted once per session) and the tags of reflections, as one vocabulary. A term recurs when two
 * sessions or reflections use it. Most sessions + reflections first, ties alphabetical; examples follow the order
 * of `sessions` (most recently active first), then sessions only reflections name.
 */
export function recurringTopics(sessions: readonly SessionText[], reflections: readonly TaggedReflection[]): Topic[] {
  const terms = new Map<string, { sessions: string[]; reflections: number; reflectionSessions: string[] }>();
  const entry = (term: string) => {
    let e = terms.get(term);
    if (!e) {
      e = { sessions: [], reflections: 0, reflectionSessions: [] };
      terms.set(term, e);
    }
    return e;
  };
  for (const s of sessions) {
    const words = new Set((s.text.toLowerCase().match(WORD) ?? []).filter((w) => !STOPWORDS.has(w)));
    for (const w of words) entry(w.slice(0, TERM_CHARS)).sessions.push(s.sessionId);
  }
  for (const r of reflections) {
    for (const tag of new Set(r.tags.map((t) => t.toLowerCase()))) {
      const e = entry(tag.slice(0, TERM_CHARS));
      e.reflections++;
      if (r.sessionId) e.reflectionSessions.push(r.sessionId);
    }
  }
  return [...terms.entries()]
    .filter(([, e]) => e.sessions.length + e.reflections >= 2)
    .sort(([a, x], [b, y]) => y.sessions.length + y.reflections - (x.sessions.length + x.reflections) || cmp(a, b))
    .slice(0, MAX_TOPICS)
    .map(([term, e]) => ({
      term,
      sessions: e.sessions.length,
      reflections: e.reflections,
      exampleSessionIds: [...new Set([...e.sessions, ...[...e.reflectionSessions].sort()])].slice(0, EXAMPLES),
    }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
