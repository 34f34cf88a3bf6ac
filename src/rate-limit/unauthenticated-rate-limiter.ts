import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppError } from '../common/app-error.js';
import { ConfigService } from '../config/config.service.js';
import { RateLimitStorage } from './rate-limit.storage.js';

const WINDOW_MS = 60_000;
const WINDOW_NAME = 'unauthenticated';

/** The counter of one client address's failed authentications. */
export function unauthenticatedKey(address: string): string {
  return `${WINDOW_NAME}:ip:${address}`;
}

/**
 * Requests refused for a missing or invalid key never reach the per-plan limiter (there is
 * no plan without a key), so they are counted here, per client address, in a one-minute
 * window of `rate_limits.unauthenticated_requests_per_minute`. Beyond it the refusal is
 * 429 RATE_LIMITED with Retry-After instead of 401: key guessing and 401 floods are slowed
 * down, while a valid key from the same address is still served.
 */
@Injectable()
export class UnauthenticatedRateLimiter {
  constructor(
    private readonly storage: RateLimitStorage,
    private readonly config: ConfigService,
  ) {}

  /** Counts one failed authentication; throws RATE_LIMITED once the address is over its limit. */
  async countFailure(req: Request): Promise<void> {
    const settings = this.config.current.rateLimits;
    if (!settings.enabled) return;
    const limit = settings.unauthenticatedRequestsPerMinute;
    const record = await this.storage.increment(
      unauthenticatedKey(req.ip ?? 'unknown'),
      WINDOW_MS,
      limit,
      WINDOW_MS,
      WINDOW_NAME,
    );
    if (!record.isBlocked) return;
    const retryAfter = Math.max(1, record.timeToBlockExpire);
    throw new AppError(
      'RATE_LIMITED',
      `Too many requests without a valid API key from this address (${limit} per minute); retry in ${retryAfter} s.`,
      { limit, window_seconds: WINDOW_MS / 1000, retry_after_seconds: retryAfter, window: WINDOW_NAME },
      { 'Retry-After': String(retryAfter) },
    );
  }
}
