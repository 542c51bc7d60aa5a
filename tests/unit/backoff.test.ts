import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../src/jobs/queue.port.js';
import { backoffDelay } from '../../src/queue/backoff.js';

const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  attempts: 10,
  backoffMs: 100,
  maxDelayMs: 10_000,
  jitter: 0,
  ...over,
});
const fixed = (value: number) => () => value;

describe('backoffDelay', () => {
  it('doubles with each failed attempt, starting at backoffMs', () => {
    const delays = [1, 2, 3, 4, 5].map((failed) => backoffDelay(policy(), failed, fixed(0.7)));
    expect(delays).toEqual([100, 200, 400, 800, 1600]);
  });

  it('treats zero failed attempts like the first', () => {
    expect(backoffDelay(policy(), 0)).toBe(100);
  });

  it('never exceeds maxDelayMs', () => {
    const capped = policy({ maxDelayMs: 250 });
    expect([1, 2, 3, 10, 60].map((failed) => backoffDelay(capped, failed, fixed(0.99)))).toEqual([
      100, 200, 250, 250, 250,
    ]);
    expect(backoffDelay(policy({ maxDelayMs: 250, jitter: 1 }), 40, fixed(0.999_999))).toBe(250);
  });

  it('with jitter 0 ignores the random source', () => {
    expect(backoffDelay(policy(), 3, fixed(0))).toBe(400);
    expect(backoffDelay(policy(), 3, fixed(0.999))).toBe(400);
  });

  it('with jitter 1 spreads the delay over [0, capped delay]', () => {
    const full = policy({ jitter: 1 });
    expect(backoffDelay(full, 3, fixed(0))).toBe(0);
    expect(backoffDelay(full, 3, fixed(0.5))).toBe(200);
    expect(backoffDelay(full, 3, fixed(0.999_999))).toBe(400);
  });

  it('with partial jitter keeps the delay within [(1 - jitter) × delay, delay]', () => {
    const half = policy({ jitter: 0.5 });
    expect(backoffDelay(half, 3, fixed(0))).toBe(200);
    expect(backoffDelay(half, 3, fixed(0.999_999))).toBe(400);
    for (let i = 0; i < 200; i += 1) {
      const delay = backoffDelay(half, 4);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(800);
    }
  });

  it('is 0 when backoffMs is 0', () => {
    expect(backoffDelay(policy({ backoffMs: 0, jitter: 0.5 }), 5, fixed(0.5))).toBe(0);
  });
});
