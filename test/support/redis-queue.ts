import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** The jobs queue on BullMQ: config for a gateway, with a key prefix of its own. */
export interface RedisQueueSetup {
  prefix: string;
  config: Record<string, unknown>;
  /** Deletes every key under the prefix (the test's queue). */
  cleanup: () => Promise<void>;
}

export function redisQueueSetup(): RedisQueueSetup {
  const prefix = `sg-test-${randomBytes(5).toString('hex')}`;
  return {
    prefix,
    config: {
      rate_limits: { redis_url: TEST_REDIS_URL },
      routers: { core: { jobs: { queue: 'redis', redis_key_prefix: prefix } } },
    },
    cleanup: async () => {
      const redis = new Redis(TEST_REDIS_URL);
      try {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** How many keys the queue under `prefix` holds (proves deliveries went through Redis). */
export async function redisKeyCount(prefix: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    return (await redis.keys(`${prefix}:*`)).length;
  } finally {
    redis.disconnect();
  }
}
