import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createLogger } from '../../src/core/logger.js';
import { BullMqQueueBackend } from '../../src/queue/bullmq.backend.js';
import { CONTRACT_POLICIES } from '../contract/queue.contract.js';
import { REDIS_URL, randomPrefix } from '../helpers/pg.js';
import { deleteRedisPrefix } from '../helpers/redis.js';

/**
 * The Redis list the KEDA ScaledObject (infra/k8s/keda-scaledobject.yaml) scales workers on is where real BullMQ keeps
 * the waiting jobs of that queue: publishing N jobs with no worker makes its length N.
 */
describe('KEDA queue depth: the ScaledObject watches the real BullMQ waiting list', () => {
  const prefix = randomPrefix('keda');
  const scaled = parse(readFileSync(new URL('../../infra/k8s/keda-scaledobject.yaml', import.meta.url), 'utf8')) as {
    spec: { triggers: Array<{ metadata: { listName: string } }> };
  };
  const listName = scaled.spec.triggers[0]?.metadata.listName as string;
  const configMap = parse(readFileSync(new URL('../../infra/k8s/configmap.yaml', import.meta.url), 'utf8')) as {
    data: Record<string, string>;
  };
  const configuredPrefix = configMap.data.SESSION_BUDDY_REDIS__PREFIX as string;
  const backend = new BullMqQueueBackend({
    url: REDIS_URL,
    prefix,
    policies: CONTRACT_POLICIES,
    logger: createLogger('silent'),
  });
  const redis = new Redis(REDIS_URL);
  afterAll(async () => {
    await backend.close();
    redis.disconnect();
    await deleteRedisPrefix(REDIS_URL, prefix);
  });

  it('has the length of the queued jobs', async () => {
    expect(listName.startsWith(`${configuredPrefix}:`)).toBe(true);
    // The same key under this test's own prefix.
    const key = `${prefix}${listName.slice(configuredPrefix.length)}`;
    const jobs = ['a', 'b', 'c'].map((id) => ({
      id: `keda-${id}`,
      name: 'embed-message' as const,
      key: `embed-message-keda-${id}`,
      tenantId: 't1',
      payload: { messageId: id },
    }));
    await backend.publish('embedding', jobs);
    expect(await redis.type(key)).toBe('list');
    expect(await redis.llen(key)).toBe(3);
  });
});
