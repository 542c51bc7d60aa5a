import { describe, expect, it } from 'vitest';
import { fuseLists, NEXT_TURN_SHARE, textConfidence, withNextTurns } from '../../src/services/search/fusion.js';

describe('fuseLists: hybrid is never empty when a half has a credible hit', () => {
  it('no text hit: the vector hits within the relative floor of the best, in similarity order', () => {
    const fused = fuseLists(
      [],
      [
        { id: 'jwt', similarity: 0.34 },
        { id: 'near', similarity: 0.3 },
        { id: 'lunch', similarity: 0.03 },
      ],
    );
    expect(fused.map((h) => h.id)).toEqual(['jwt', 'near']);
    expect(fused[0]?.explain.fused).toBe(1);
    expect(fused[0]?.explain.textRank).toBeNull();
  });

  it('nothing credible (no positive similarity): empty', () => {
    expect(fuseLists([], [{ id: 'a', similarity: -0.1 }])).toEqual([]);
    expect(fuseLists([], [])).toEqual([]);
  });

  it('a vector list too short for statistics adds its credible hits at half weight, text first', () => {
    const fused = fuseLists([{ id: 't', rank: 3, coverage: 0.5 }], [{ id: 'v', similarity: 0.5 }]);
    const byId = Object.fromEntries(fused.map((h) => [h.id, h.explain.fused]));
    expect(byId.t).toBeGreaterThan(byId.v as number);
    expect(Object.keys(byId).sort()).toEqual(['t', 'v']);
  });
});

describe('textConfidence: the keyword half weighed by the share of the query its best hit holds', () => {
  const background = Array.from({ length: 20 }, (_, i) => ({ id: `n${i}`, similarity: 0.3 + (i % 5) * 0.01 }));
  const vector = [{ id: 'meaning', similarity: 0.62 }, ...background];
  // The best keyword hit and a second one at 0.8 of its score; one vector hit standing far out of its list.
  const order = (coverage: number) =>
    fuseLists(
      [
        { id: 'words', rank: 5, coverage },
        { id: 'fewer-words', rank: 4, coverage: coverage / 2 },
      ],
      vector,
    )
      .sort((a, b) => b.explain.fused - a.explain.fused)
      .map((h) => h.id);

  it('a best keyword hit holding a small share of the question gives way to a vector hit that stands out', () => {
    expect(textConfidence([{ id: 'w', rank: 2, coverage: 0.1 }])).toBe(0.4);
    expect(order(0.1).slice(0, 3)).toEqual(['meaning', 'words', 'fewer-words']);
  });

  it('a best hit holding a good share keeps the keyword half at full weight: keyword hits rank first', () => {
    expect(textConfidence([{ id: 'w', rank: 9, coverage: 0.5 }])).toBe(1);
    expect(textConfidence([{ id: 'w', rank: 5, coverage: 0.225 }])).toBeCloseTo(0.5, 5);
    expect(textConfidence([{ id: 'w', rank: 5, coverage: 0.2625 }])).toBeCloseTo(0.75, 5);
    expect(order(0.5).slice(0, 3)).toEqual(['words', 'fewer-words', 'meaning']);
  });

  it('without a vector list to lean on, or without coverage, the keyword half keeps its weight', () => {
    const alone = fuseLists([{ id: 'words', rank: 5, coverage: 0.05 }], []);
    expect(alone[0]?.explain.fused).toBeCloseTo(1 / 1.6, 5);
    expect(textConfidence([{ id: 'w', rank: 5 }])).toBe(1);
  });
});

describe('withNextTurns: the answer after a matching question', () => {
  const hit = (id: string, fused: number) => ({
    id,
    explain: { textRank: 1, textScore: 1, similarity: null, fused },
    textPart: fused / 2,
  });

  it('passes a share of a hit to the message after it, adds answers not found, keeps the best at most 1', () => {
    const out = withNextTurns(
      [hit('question', 1), hit('other', 0.4)],
      new Map([
        ['question', 'answer'],
        ['other', 'question'],
      ]),
    ).sort((a, b) => b.explain.fused - a.explain.fused);
    expect(out.map((h) => h.id)).toEqual(['question', 'answer', 'other']);
    expect(out[0]?.explain.fused).toBe(1);
    expect(out[1]?.explain.context).toBe(NEXT_TURN_SHARE / 2);
    expect(out[1]?.explain.fused).toBeCloseTo((NEXT_TURN_SHARE * 0.5) / (1 + NEXT_TURN_SHARE * 0.2));
    expect(out[1]?.explain.textRank).toBeNull();
  });

  it('no following message: scores unchanged', () => {
    const out = withNextTurns([hit('a', 0.8), hit('b', 0.4)], new Map());
    expect(out.map((h) => [h.id, h.explain.fused])).toEqual([
      ['a', 0.8],
      ['b', 0.4],
    ]);
  });
});
