import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/*
 * A fixed window per key, counted atomically in Redis by one script so every node sharing
 * the Redis sees one count. KEYS[1] = hits, KEYS[2] = block marker; ARGV = ttl ms, limit,
 * block ms. Answers {hits, ms until the window resets, ms until the block ends}.
 */
const INCREMENT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
local blocked = redis.call('PTTL', KEYS[2])
if blocked <= 0 and hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]); blocked = tonumber(ARGV[3])
end
return {hits, ttl, blocked}`;

/** @nestjs/throttler's storage port over Redis. */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    void throttlerName; // already part of the key
    const base = `${this.prefix}${key}`;
    const [hits, ttlMs, blockedMs] = (await this.redis.eval(
      INCREMENT_SCRIPT,
      2,
      `${base}:hits`,
      `${base}:blocked`,
      ttl,
      limit,
      blockDuration,
    )) as [number, number, number];
    const isBlocked = blockedMs > 0;
    return {
      totalHits: hits,
      timeToExpire: Math.ceil(ttlMs / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil(blockedMs / 1000) : 0,
    };
  }

  async peek(key: string): Promise<{ hits: number; resetSeconds: number }> {
    const base = `${this.prefix}${key}`;
    const [hits, ttl] = await Promise.all([this.redis.get(`${base}:hits`), this.redis.pttl(`${base}:hits`)]);
    return { hits: Number(hits ?? 0), resetSeconds: ttl > 0 ? Math.ceil(ttl / 1000) : 0 };
  }

  async reset(key: string): Promise<void> {
    const base = `${this.prefix}${key}`;
    await this.redis.del(`${base}:hits`, `${base}:blocked`);
  }
}
