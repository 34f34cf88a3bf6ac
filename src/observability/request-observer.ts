import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { elapsedSeconds } from '../common/envelope.js';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { type RequestContext, RequestContextStore } from '../common/request-context.js';
import { ConfigService } from '../config/config.service.js';
import { AnalyticsService } from './analytics.service.js';
import { setHeaderBeforeSend } from '../common/header-before-send.js';
import { isProbeRequest } from './probe-routes.js';
import { ERROR_CODE_LOCAL, routePatternOf } from './response-facts.js';

// Kept importable from here, where they were first defined.
export { ERROR_CODE_LOCAL, routePatternOf };

export const RESPONSE_TIME_HEADER = 'X-Response-Time';
const OBSERVED = Symbol('speech-gateway:observed');

/** Bit flags of the observations made on a request (a Set per request cost more than the rest of the claim). */
type ObservedRequest = Request & { [OBSERVED]?: number };
export type Observation = 'timing' | 'analytics';
const OBSERVATION_BIT: Record<Observation, number> = { timing: 1, analytics: 2 };

/**
 * What the timing and analytics interceptors do, in one place so that requests
 * refused before any interceptor runs (unknown route, guard, unreadable body) are observed
 * the same way by the exception filter. Each observation reads its switch from the live
 * config per request and happens at most once per request.
 */
@Injectable()
export class RequestObserver {
  constructor(
    private readonly config: ConfigService,
    private readonly analytics: AnalyticsService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Claims an observation for this request; false when it already happened. */
  private claim(req: Request, what: Observation): boolean {
    const observed = (req as ObservedRequest)[OBSERVED] ?? 0;
    const bit = OBSERVATION_BIT[what];
    if ((observed & bit) !== 0) return false;
    (req as ObservedRequest)[OBSERVED] = observed | bit;
    return true;
  }

  /** Sets X-Response-Time just before the headers go out, and warns about slow requests. */
  observeTiming(req: Request, res: Response): void {
    const settings = this.config.current.middleware.timing;
    if (!settings.enabled || !this.claim(req, 'timing')) return;
    const startedAt = RequestContextStore.current()?.startedAt ?? process.hrtime.bigint();
    setHeaderBeforeSend(
      res,
      RESPONSE_TIME_HEADER,
      () => `${(elapsedSeconds(startedAt) * 1000).toFixed(1)}ms`,
    );
    pendingObservation(this, req, res).timingStartedAt = startedAt;
  }

  /** Health probes (probe-routes.ts) are not recorded: they are counted in the metrics only. */
  observeAnalytics(req: Request, res: Response, routePattern: string | undefined): void {
    if (!this.config.current.middleware.analytics.enabled || !this.claim(req, 'analytics')) return;
    if (isProbeRequest(req)) return;
    const context = RequestContextStore.current();
    pendingObservation(this, req, res).analytics = {
      context,
      startedAt: context?.startedAt ?? process.hrtime.bigint(),
      routePattern,
    };
  }

  /** The answer was sent (or the client left first, status 499): finishes the observations claimed. */
  settle(pending: PendingObservation, res: Response, status: number): void {
    const { req, timingStartedAt, analytics } = pending;
    if (timingStartedAt !== undefined) {
      const seconds = elapsedSeconds(timingStartedAt);
      const threshold = this.config.current.middleware.timing.slowRequestThreshold;
      if (seconds > threshold) {
        this.logger.warn({ method: req.method, path: req.path, status, seconds, threshold }, 'slow request');
      }
    }
    if (analytics !== undefined) {
      const { context, startedAt, routePattern } = analytics;
      this.analytics.record({
        requestId: context?.requestId ?? 'unknown',
        method: req.method,
        route: (routePattern ?? 'unmatched').slice(0, 200),
        statusCode: status,
        latencyMs: Math.round(elapsedSeconds(startedAt) * 1000),
        principal: context?.principal?.slice(0, 128) ?? null,
        engine: context?.engine ?? null,
        voice: context?.voice ?? null,
        audioSeconds: context?.audioSeconds ?? null,
        errorCode: errorCodeOf(res),
      });
    }
  }

  /** Used by the exception filter for requests no interceptor saw. */
  observeAll(req: Request, res: Response): void {
    this.observeTiming(req, res);
    this.observeAnalytics(req, res, routePatternOf(req));
  }
}

/** Recorded for requests the client abandoned before the answer was sent (nginx's convention). */
export const CLIENT_CLOSED_REQUEST = 499;

/** What a request's observations need once its answer is done, kept on the response. */
interface PendingObservation {
  observer: RequestObserver;
  req: Request;
  /** Set by the timing observation. */
  timingStartedAt?: bigint;
  /** Set by the analytics observation. */
  analytics?: { context: RequestContext | undefined; startedAt: bigint; routePattern: string | undefined };
  done: boolean;
}

const PENDING = Symbol('speech-gateway:pending-observation');
type PendingResponse = Response & { [PENDING]?: PendingObservation };

/**
 * The response's pending observations, with one pair of listeners for all of them (shared
 * functions, no closures per request): settled once, when the answer has been sent or the
 * connection closed before that.
 */
function pendingObservation(observer: RequestObserver, req: Request, res: Response): PendingObservation {
  const existing = (res as PendingResponse)[PENDING];
  if (existing) return existing;
  const pending: PendingObservation = { observer, req, done: false };
  (res as PendingResponse)[PENDING] = pending;
  res.once('finish', onFinish);
  res.once('close', onClose);
  return pending;
}

function onFinish(this: PendingResponse): void {
  settle(this, this.statusCode);
}

function onClose(this: PendingResponse): void {
  settle(this, this.writableFinished ? this.statusCode : CLIENT_CLOSED_REQUEST);
}

function settle(res: PendingResponse, status: number): void {
  const pending = res[PENDING];
  if (!pending || pending.done) return;
  pending.done = true;
  pending.observer.settle(pending, res, status);
}

function errorCodeOf(res: Response): string | null {
  const code: unknown = (res.locals as Record<string, unknown>)[ERROR_CODE_LOCAL];
  return typeof code === 'string' ? code : null;
}
