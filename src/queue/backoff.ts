import type { RetryPolicy } from '../jobs/queue.port.js';

/**
 * Delay before the next attempt after `failedAttempts` failures: exponential, capped, with a random
 * share (jitter) so that jobs failing together do not retry together. Shared by both backends.
 */
export function backoffDelay(policy: RetryPolicy, failedAttempts: number, random: () => number = Math.random): number {
  const exponential = policy.backoffMs * 2 ** Math.max(0, failedAttempts - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  const jittered = capped * (1 - policy.jitter) + capped * policy.jitter * random();
  return Math.round(jittered);
}
