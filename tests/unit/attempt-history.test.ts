import { describe, expect, it } from 'vitest';
import {
  ATTEMPT_HISTORY_MAX,
  appendFailure,
  attemptFailure,
  describeFailure,
  firstDistinctCause,
} from '../../src/jobs/attempt-history.js';

describe('attempt history', () => {
  it('records class, code (code or HTTP status) and a bounded message', () => {
    const at = new Date('2026-03-01T00:00:00Z');
    const http = Object.assign(new Error('answered HTTP 503'), { name: 'EmbeddingProviderError', status: 503 });
    expect(attemptFailure(2, http, at)).toEqual({
      attempt: 2,
      at: '2026-03-01T00:00:00.000Z',
      error: 'EmbeddingProviderError',
      code: '503',
      message: 'answered HTTP 503',
    });
    const net = Object.assign(new Error('x'.repeat(2000)), { code: 'ECONNRESET' });
    const f = attemptFailure(1, net, at);
    expect(f).toMatchObject({ error: 'Error', code: 'ECONNRESET' });
    expect(f.message.length).toBeLessThanOrEqual(500);
    expect(attemptFailure(1, new Error('plain'), at)).not.toHaveProperty('code');
  });

  it('keeps the first attempt and the latest ones, at most ATTEMPT_HISTORY_MAX', () => {
    let history = appendFailure(undefined, attemptFailure(1, new Error('first cause')));
    for (let attempt = 2; attempt <= 25; attempt++) {
      history = appendFailure(history, attemptFailure(attempt, new Error(`attempt ${attempt}`)));
    }
    expect(history).toHaveLength(ATTEMPT_HISTORY_MAX);
    expect(history.map((f) => f.attempt)).toEqual([1, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
  });

  it('names the first failure unlike the last one, or null when all failed alike', () => {
    const e = (name: string, message: string, code?: string) => ({
      attempt: 1,
      at: '2026-03-01T00:00:00.000Z',
      error: name,
      message,
      ...(code ? { code } : {}),
    });
    const outage = [
      e('EmbeddingProviderError', 'HTTP 500', '500'),
      e('TimeoutError', 'timed out'),
      e('TimeoutError', 'timed out'),
    ];
    expect(firstDistinctCause(outage)).toBe('EmbeddingProviderError [500]: HTTP 500');
    expect(firstDistinctCause([e('Error', 'same'), e('Error', 'same')])).toBeNull();
    expect(firstDistinctCause([])).toBeNull();
    expect(describeFailure(e('TimeoutError', 'timed out'))).toBe('TimeoutError: timed out');
  });
});
