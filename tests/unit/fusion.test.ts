import { describe, expect, it } from 'vitest';
import { fuseRanks } from '../../src/services/search/fusion.js';

describe('fuseRanks: hybrid is never empty when a half has a credible hit', () => {
  it('no text hit: the vector hits within the relative floor of the best, in similarity order', () => {
    const fused = fuseRanks(
      [],
      [
        { id: 'jwt', similarity: 0.34 },
        { id: 'near', similarity: 0.3 },
        { id: 'lunch', similarity: 0.03 },
      ],
      60,
    );
    expect(fused.map((h) => h.id)).toEqual(['jwt', 'near']);
    expect(fused[0]?.explain.fused).toBe(1);
    expect(fused[0]?.explain.textRank).toBeNull();
  });

  it('nothing credible (no positive similarity): empty', () => {
    expect(fuseRanks([], [{ id: 'a', similarity: -0.1 }], 60)).toEqual([]);
    expect(fuseRanks([], [], 60)).toEqual([]);
  });

  it('a vector list too short for statistics adds its credible hits at half weight, text first', () => {
    const fused = fuseRanks([{ id: 't', rank: 3 }], [{ id: 'v', similarity: 0.5 }], 60);
    const byId = Object.fromEntries(fused.map((h) => [h.id, h.explain.fused]));
    expect(byId.t).toBeGreaterThan(byId.v as number);
    expect(Object.keys(byId).sort()).toEqual(['t', 'v']);
  });
});
