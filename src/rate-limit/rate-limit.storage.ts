import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import { MemoryThrottlerStorage } from './memory-throttler.storage.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

export interface RateLimitStoreState {
  configured: 'memory' | 'redis';
  /** Where counts go right now: redis, or memory while Redis is unreachable. */
  active: 'memory' | 'redis';
  degraded: boolean;
}

const REDIS_RETRY_MS = 1000;
const REDIS_COMMAND_TIMEOUT_MS = 500;

/**
 * The rate limiter's counters: Redis when rate_limits.store is redis (shared by every node),
 * else memory. When Redis is unreachable, counts fall back to this node's memory (each node
 * then limits on its own), it is logged once, /health shows degraded, and counting returns to
 * Redis as soon as it answers again. The store and URL are read at start.
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly memory = new MemoryThrottlerStorage();
  private readonly redis?: Redis;
  private readonly redisStorage?: RedisThrottlerStorage;
  private usingFallback = false;

  constructor(
    config: ConfigService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    const settings = config.current.rateLimits;
    if (settings.store === 'redis' && settings.redisUrl) {
      this.redis = new Redis(settings.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
        connectTimeout: REDIS_RETRY_MS,
        retryStrategy: () => REDIS_RETRY_MS,
      });
      // Connection errors surface as the fallback below; ioredis needs a listener to not crash.
      this.redis.on('error', () => undefined);
      this.redis.on('ready', () => {
        if (this.usingFallback) this.logger.info('rate limiting is back on Redis');
        this.usingFallback = false;
      });
      this.redisStorage = new RedisThrottlerStorage(this.redis, settings.redisKeyPrefix);
    }
  }

  state(): RateLimitStoreState {
    const configured = this.redisStorage ? 'redis' : 'memory';
    const active =
      this.redisStorage && this.redis?.status === 'ready' && !this.usingFallback ? 'redis' : 'memory';
    return { configured, active, degraded: configured === 'redis' && active === 'memory' };
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    // Without Redis no promise is awaited before the memory store answers.
    if (!this.redisStorage) return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
    const shared = await this.onRedis((redis) =>
      redis.increment(key, ttl, limit, blockDuration, throttlerName),
    );
    return shared ?? this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  async peek(key: string): Promise<{ hits: number; resetSeconds: number }> {
    const shared = await this.onRedis((redis) => redis.peek(key));
    return shared ?? this.memory.peek(key);
  }

  async reset(key: string): Promise<void> {
    await this.onRedis((redis) => redis.reset(key).then(() => true));
    this.memory.reset(key);
  }

  onModuleDestroy(): void {
    this.memory.shutdown();
    this.redis?.disconnect();
  }

  /** Runs the operation on Redis when it is usable; undefined means "use memory". */
  private async onRedis<T>(operation: (redis: RedisThrottlerStorage) => Promise<T>): Promise<T | undefined> {
    if (!this.redisStorage || !this.redis) return undefined;
    if (this.redis.status !== 'ready') {
      this.fallBack('Redis is not connected');
      return undefined;
    }
    try {
      const result = await operation(this.redisStorage);
      if (this.usingFallback) {
        this.usingFallback = false;
        this.logger.info('rate limiting is back on Redis');
      }
      return result;
    } catch (error) {
      this.fallBack(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }

  private fallBack(reason: string): void {
    if (this.usingFallback) return;
    this.usingFallback = true;
    this.logger.warn(
      { reason },
      'Redis is unreachable: rate limits fall back to this node’s memory until it returns',
    );
  }
}
