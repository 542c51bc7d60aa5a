import { describe, expect, it } from 'vitest';
import { fuseLists, NEXT_TURN_SHARE, withNextTurns } from '../../src/services/search/fusion.js';

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
    const fused = fuseLists([{ id: 't', rank: 3 }], [{ id: 'v', similarity: 0.5 }]);
    const byId = Object.fromEntries(fused.map((h) => [h.id, h.explain.fused]));
    expect(byId.t).toBeGreaterThan(byId.v as number);
    expect(Object.keys(byId).sort()).toEqual(['t', 'v']);
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
