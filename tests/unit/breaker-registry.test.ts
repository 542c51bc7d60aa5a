import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionBuddyError } from '../../src/core/errors.js';
import { deferralOf } from '../../src/jobs/job-errors.js';
import {
  BREAKER_STATE_VALUE,
  type BreakerOptions,
  BreakerRegistry,
  type BreakerState,
  DEFAULT_BREAKER_OPTIONS,
  HALF_OPEN_RECHECK_MS,
  isBreakerOpenError,
} from '../../src/resilience/breaker-registry.js';

const options: BreakerOptions = {
  timeoutMs: 1_000,
  errorThresholdPercentage: 50,
  volumeThreshold: 3,
  // Long, so a slow machine cannot see a breaker half-open before a test looks; one test shortens it.
  resetTimeoutMs: 60_000,
  rollingWindowMs: 10_000,
};

const failing = async (): Promise<never> => {
  throw new Error('dependency failed');
};

describe('BreakerRegistry', () => {
  let registry: BreakerRegistry;
  afterEach(() => registry.shutdown());

  it('keeps one breaker per dependency and reports every state', async () => {
    registry = new BreakerRegistry(options);
    const akosha = registry.get('akosha');
    expect(registry.get('akosha')).toBe(akosha);
    registry.get('ollama', { ...options, volumeThreshold: 1 });
    expect(registry.states()).toEqual({ akosha: 'closed', ollama: 'closed' });

    await expect(registry.get('ollama').run(failing)).rejects.toThrow('dependency failed');
    expect(registry.states()).toEqual({ akosha: 'closed', ollama: 'open' });
    expect(BREAKER_STATE_VALUE[registry.states().ollama as BreakerState]).toBe(2);
  });

  it('passes results and errors through, and opens only past the volume and error thresholds', async () => {
    registry = new BreakerRegistry(options);
    const breaker = registry.get('dep');
    expect(await breaker.run(async () => 42)).toBe(42);
    await expect(breaker.run(failing)).rejects.toThrow('dependency failed');
    expect(breaker.state).toBe('closed');
    await expect(breaker.run(failing)).rejects.toThrow('dependency failed');
    expect(breaker.state).toBe('open');

    const action = vi.fn(async () => 'never called');
    const error = await breaker.run(action).catch((e: unknown) => e);
    expect(action).not.toHaveBeenCalled();
    expect(isBreakerOpenError(error)).toBe(true);
    expect(error).toBeInstanceOf(SessionBuddyError);
    expect(error).toMatchObject({ name: 'BreakerOpenError', code: 'unavailable', dependency: 'dep' });
  });

  it('counts a call slower than timeoutMs as a failure', async () => {
    registry = new BreakerRegistry({ ...options, timeoutMs: 50, volumeThreshold: 1 });
    const breaker = registry.get('slow');
    await expect(breaker.run(() => new Promise(() => {}))).rejects.toMatchObject({
      name: 'BreakerTimeoutError',
      code: 'ETIMEDOUT',
      message: 'slow did not answer within 50 ms',
    });
    expect(breaker.circuit.stats.timeouts).toBe(1);
    expect(breaker.circuit.stats.failures).toBe(1);
    expect(breaker.state).toBe('open');
  });

  it('half-open: one trial call at a time; its success closes the breaker', async () => {
    registry = new BreakerRegistry({ ...options, volumeThreshold: 1, resetTimeoutMs: 200 });
    const seen: Array<[string, BreakerState]> = [];
    const unsubscribe = registry.onStateChange((name, state) => seen.push([name, state]));
    const breaker = registry.get('dep');
    await expect(breaker.run(failing)).rejects.toThrow();
    await vi.waitFor(() => expect(breaker.state).toBe('half-open'), { timeout: 5_000 });

    let finishTrial: (value: string) => void = () => {};
    const trial = breaker.run(() => new Promise<string>((resolve) => (finishTrial = resolve)));
    await expect(breaker.run(async () => 'second')).rejects.toThrow(/half-open and a trial call is in flight/);
    finishTrial('ok');
    expect(await trial).toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(seen).toEqual([
      ['dep', 'open'],
      ['dep', 'half-open'],
      ['dep', 'closed'],
    ]);

    unsubscribe();
    breaker.circuit.open();
    expect(registry.states()).toEqual({ dep: 'open' });
    expect(seen).toHaveLength(3);
  });

  it('keeps going when a state listener throws', async () => {
    registry = new BreakerRegistry({ ...options, volumeThreshold: 1 });
    registry.onStateChange(() => {
      throw new Error('metrics hook broke');
    });
    await expect(registry.get('dep').run(failing)).rejects.toThrow('dependency failed');
    expect(registry.states()).toEqual({ dep: 'open' });
  });

  it('opens after consecutiveFailures failures in a row, below volumeThreshold: a hang with one call at a time', async () => {
    registry = new BreakerRegistry({ ...DEFAULT_BREAKER_OPTIONS, timeoutMs: 50 });
    const breaker = registry.get('hanging');
    expect(DEFAULT_BREAKER_OPTIONS.consecutiveFailures).toBe(3);
    expect(DEFAULT_BREAKER_OPTIONS.volumeThreshold).toBeGreaterThan(3);
    const hang = () => new Promise<never>(() => {});
    await expect(breaker.run(hang)).rejects.toMatchObject({ name: 'BreakerTimeoutError' });
    await expect(breaker.run(hang)).rejects.toMatchObject({ name: 'BreakerTimeoutError' });
    expect(breaker.state).toBe('closed');
    await expect(breaker.run(hang)).rejects.toMatchObject({ name: 'BreakerTimeoutError' });
    expect(breaker.state).toBe('open');
  });

  it('a success between failures restarts the count of failures in a row', async () => {
    registry = new BreakerRegistry({ ...DEFAULT_BREAKER_OPTIONS, volumeThreshold: 1_000 });
    const breaker = registry.get('flaky');
    for (let i = 0; i < 4; i++) {
      await expect(breaker.run(failing)).rejects.toThrow();
      await expect(breaker.run(failing)).rejects.toThrow();
      await breaker.run(async () => 'ok');
    }
    expect(breaker.state).toBe('closed');
  });

  it('a refusal says when to ask again (when the breaker half-opens) and asks the queue to defer, not fail', async () => {
    registry = new BreakerRegistry({ ...DEFAULT_BREAKER_OPTIONS, volumeThreshold: 1, resetTimeoutMs: 60_000 });
    const breaker = registry.get('dep');
    await expect(breaker.run(failing)).rejects.toThrow();
    const refusal = await breaker.run(async () => 'never').catch((e: unknown) => e);
    expect(isBreakerOpenError(refusal)).toBe(true);
    const after = deferralOf(refusal) as number;
    expect(after).toBeGreaterThan(50_000);
    expect(after).toBeLessThanOrEqual(60_000);
    expect(deferralOf(new Error('dependency failed'))).toBeUndefined();
    expect(deferralOf(breaker.refusal())).toBeLessThanOrEqual(60_000);
  });

  it('half-open with a trial in flight: a refusal asks again after a short while', async () => {
    registry = new BreakerRegistry({ ...options, volumeThreshold: 1, resetTimeoutMs: 200 });
    const breaker = registry.get('dep');
    await expect(breaker.run(failing)).rejects.toThrow();
    await vi.waitFor(() => expect(breaker.state).toBe('half-open'), { timeout: 5_000 });
    let finishTrial: () => void = () => {};
    const trial = breaker.run(() => new Promise<void>((resolve) => (finishTrial = resolve)));
    const refusal = await breaker.run(async () => 'second').catch((e: unknown) => e);
    expect(deferralOf(refusal)).toBe(HALF_OPEN_RECHECK_MS);
    finishTrial();
    await trial;
  });
});
