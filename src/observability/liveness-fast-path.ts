import type { NextFunction, Request, Response } from 'express';
import { buildEnvelope } from '../common/envelope.js';
import { RequestContextStore } from '../common/request-context.js';
import type { RequestObserver } from './request-observer.js';

/** The route template Nest registers for HealthController.live (the metrics' route label). */
const LIVENESS_ROUTE = '/health/live';

/**
 * GET/HEAD /health/live answered before Nest's router: orchestrators poll it forever, and
 * Nest's guards, interceptors and router cost ~15x a plain handler. Mounted after every
 * gateway middleware (request id, metrics, request log, CORS, the drain's door, JSON body
 * and input guard), so those apply unchanged; it then does what Nest's pipeline would do
 * for this route (HealthController.live is public and ungated): the timing and analytics
 * observations, the envelope, `res.json`. The controller route stays registered (OpenAPI,
 * route listings), and any other spelling of the path (case, trailing slash) still goes
 * through it.
 */
export function livenessFastPath(observer: RequestObserver) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path !== LIVENESS_ROUTE) {
      next();
      return;
    }
    // What Express's router would set: the metrics read the route template from it.
    (req as { route?: unknown }).route = { path: LIVENESS_ROUTE };
    observer.observeTiming(req, res);
    observer.observeAnalytics(req, res, LIVENESS_ROUTE);
    const store = RequestContextStore.current();
    res.status(200).json(
      buildEnvelope({
        status: 'success',
        message: 'OK',
        data: { status: 'alive' },
        requestId: store?.requestId ?? 'unknown',
        errorCode: null,
        startedAt: store?.startedAt ?? process.hrtime.bigint(),
      }),
    );
  };
}
