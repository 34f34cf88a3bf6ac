import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { planOf } from '../accounts/plan-policy.js';
import { accessRuleOf } from '../accounts/auth/access.decorator.js';
import { AppError } from '../common/app-error.js';
import { RequestContextStore } from '../common/request-context.js';
import { ConfigService } from '../config/config.service.js';
import { recordRateLimitWindow } from './ratelimit-headers.js';
import { RateLimitStorage } from './rate-limit.storage.js';

/** Shared by every skipped request: the base class's canActivate answers a promise. */
const ACTIVATED = Promise.resolve(true);

/** The named windows every plan has: requests per minute and a one-second burst. */
export const THROTTLERS = [
  { name: 'minute', ttlMs: 60_000 },
  { name: 'burst', ttlMs: 1_000 },
] as const;
export type ThrottlerName = (typeof THROTTLERS)[number]['name'];

/**
 * One counter per window and caller, shared by every route. The window is part of the key:
 * the memory store keeps block state per key, so two windows must never share one.
 */
export function throttleKey(window: ThrottlerName, tracker: string): string {
  return `${window}:${tracker}`;
}

/** Who a limit counts: the key's user, else (keyless development) the client address. */
export function trackerOf(req: Request): string {
  const account = RequestContextStore.current()?.account;
  return account && account.keyId !== null ? `user:${account.userId}` : `ip:${req.ip ?? 'unknown'}`;
}

/** The window's limit under the caller's plan, read from the live config per request. */
function limitOf(config: ConfigService, name: ThrottlerName): number {
  const settings = config.current;
  const account = RequestContextStore.current()?.account;
  const plan = planOf(settings, account?.plan ?? settings.rateLimits.defaultPlan);
  return name === 'minute' ? plan.requestsPerMinute : plan.burstPerSecond;
}

/**
 * @nestjs/throttler with per-plan limits: the plan of the caller (the default plan when
 * keyless) sets each window's limit, counts are keyed by user, not by route, and answers
 * carry the IETF draft's RateLimit-Policy and RateLimit (every window), the older
 * RateLimit-Limit/-Remaining/-Reset (the minute window, or the one that refused) and
 * Retry-After on 429.
 */
@Injectable()
export class PlanThrottlerGuard extends ThrottlerGuard {
  // Explicit tokens: the base class's own @Inject metadata would otherwise be inherited.
  constructor(
    @Inject(ConfigService) private readonly config: ConfigService,
    @Inject(RateLimitStorage) storage: RateLimitStorage,
    @Inject(Reflector) reflector: Reflector,
  ) {
    const options: ThrottlerModuleOptions = {
      throttlers: THROTTLERS.map(({ name, ttlMs }) => ({
        name,
        ttl: ttlMs,
        limit: () => limitOf(config, name),
      })),
      generateKey: (_context, tracker, name) => throttleKey(name as ThrottlerName, tracker),
      getTracker: (req) => trackerOf(req as Request),
      setHeaders: false,
    };
    super(options, storage, reflector);
  }

  /**
   * Public routes (health probes), non-HTTP contexts and switched-off limits are never
   * counted, by any window: they are answered here without the base class's per-window
   * metadata lookups.
   */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.skips(context)) return ACTIVATED;
    return super.canActivate(context);
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(this.skips(context));
  }

  private skips(context: ExecutionContext): boolean {
    if (context.getType() !== 'http' || !this.config.current.rateLimits.enabled) return true;
    return accessRuleOf(this.reflector, context)?.kind === 'public';
  }

  protected override async handleRequest(
    props: Parameters<ThrottlerGuard['handleRequest']>[0],
  ): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = props;
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const name = throttler.name ?? 'default';
    const key = generateKey(context, await getTracker(req, context), name);
    const record = await this.storageService.increment(key, ttl, limit, blockDuration, name);
    const remaining = Math.max(0, limit - record.totalHits);
    recordRateLimitWindow(res, {
      name,
      limit,
      windowSeconds: ttl / 1000,
      remaining: record.isBlocked ? 0 : remaining,
      resetSeconds: record.isBlocked ? Math.max(1, record.timeToBlockExpire) : record.timeToExpire,
    });
    // The minute window is the plan's headline limit; a burst refusal reports its own window.
    if (name === 'minute' || record.isBlocked) {
      res.setHeader('RateLimit-Limit', String(limit));
      res.setHeader('RateLimit-Remaining', String(record.isBlocked ? 0 : remaining));
      res.setHeader('RateLimit-Reset', String(record.timeToExpire));
    }
    if (record.isBlocked) {
      const retryAfter = Math.max(1, record.timeToBlockExpire);
      throw new AppError(
        'RATE_LIMITED',
        `Rate limit reached (${limit} requests per ${ttl / 1000} s for this plan); retry in ${retryAfter} s.`,
        { limit, window_seconds: ttl / 1000, retry_after_seconds: retryAfter, window: name },
        { 'Retry-After': String(retryAfter) },
      );
    }
    return true;
  }
}
