import type { AppConfig } from '../config/config.schema.js';
import type { JobQueueBackend } from './job-queue.js';

/** The queue `routers.core.jobs.queue` selects: `auto` is Redis when rate_limits.redis_url is set. */
export function jobQueueBackend(config: AppConfig): JobQueueBackend {
  const { queue } = config.routers.core.jobs;
  if (queue === 'auto') return config.rateLimits.redisUrl ? 'redis' : 'database';
  return queue;
}
