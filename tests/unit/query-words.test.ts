import { describe, expect, it } from 'vitest';
import { queryWords, STOP_WORDS } from '../../src/repositories/query-words.js';
import { fts5Query } from '../../src/repositories/search-sql.js';

describe('queryWords: user text as words, the same for every store', () => {
  it('drops syntax and English stop words, lower-cases and de-duplicates', () => {
    expect(queryWords('When did Jon start reading "The Lean Startup"?')).toEqual([
      'jon',
      'start',
      'reading',
      'lean',
      'startup',
    ]);
    expect(queryWords('a national park OR a theme park?')).toEqual(['national', 'park', 'theme']);
    expect(queryWords('-setback NEAR(x*) AND: y')).toEqual(['setback', 'near', 'x', 'y']);
    expect(queryWords('what did it look like')).toEqual(['look', 'like']);
    expect(queryWords('what is it?')).toEqual([]);
  });

  it("is PostgreSQL's english stop list (127 words) and caps long queries", () => {
    expect(STOP_WORDS.size).toBe(127);
    expect(queryWords(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '))).toHaveLength(64);
  });

  it('quotes every word for FTS5 and ORs them; nothing to match gives undefined', () => {
    expect(fts5Query('Did Mel go to a national park or a theme park?')).toBe(
      '"mel" OR "go" OR "national" OR "park" OR "theme"',
    );
    expect(fts5Query('or and not')).toBeUndefined();
  });
});
