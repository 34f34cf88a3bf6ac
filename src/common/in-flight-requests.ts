import type { NextFunction, Request, Response } from 'express';
import { AppError } from './app-error.js';
import { type RequestContext, RequestContextStore } from './request-context.js';

/** Seconds a client refused during shutdown is asked to wait (another node, or this one restarted). */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 5;

/** Still answered while draining: the process is alive until it exits. */
function isLiveness(req: Request): boolean {
  return req.method === 'GET' && req.path === '/health/live';
}

/**
 * The requests being served, and the door they come in by. Open until shutdown begins;
 * then every new request (readiness included) is refused with 503 SERVICE_NOT_READY,
 * Retry-After and `Connection: close`, while the requests in flight finish — or are
 * aborted: cutting a request's connection fires its AbortSignal (tts/client-abort.ts),
 * which stops its engine work and releases its quota reservation.
 */
export class InFlightRequests {
  /** Each request's context tells whether its audio is being paid for. */
  private readonly requests = new Map<Response, RequestContext | undefined>();
  private readonly idleWaiters: Array<() => void> = [];
  private draining = false;

  get size(): number {
    return this.requests.size;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Express middleware, mounted right after the request context. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (this.draining && !isLiveness(req)) {
      res.setHeader('Connection', 'close');
      next(
        new AppError('SERVICE_NOT_READY', 'The server is shutting down; retry shortly.', undefined, {
          'Retry-After': String(SHUTDOWN_RETRY_AFTER_SECONDS),
        }),
      );
      return;
    }
    this.requests.set(res, RequestContextStore.current());
    res.once('close', () => {
      this.requests.delete(res);
      if (this.requests.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
    next();
  };

  /** Refuses new requests from now on; answers still to be sent will close their connection. */
  stopAccepting(): void {
    this.draining = true;
    for (const res of this.requests.keys()) if (!res.headersSent) res.setHeader('Connection', 'close');
  }

  /** True once no request is in flight; false when `timeoutMs` passes first. */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.requests.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return idle;
  }

  /**
   * Cuts every request still in flight (their AbortSignals fire) except those whose audio is
   * being paid for: they are sending it, and cutting them would charge for nothing
   * delivered. Answers how many were cut.
   */
  abortUnpaid(): number {
    let cut = 0;
    for (const [res, context] of this.requests) {
      if (context?.chargeState === 'charging') continue;
      if (context) context.chargeState = 'cut';
      res.destroy();
      cut += 1;
    }
    return cut;
  }
}
