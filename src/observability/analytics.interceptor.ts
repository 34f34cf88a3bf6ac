import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { RequestObserver, routePatternOf } from './request-observer.js';

/** Records route, status, latency, principal, engine and voice of every request. Switched live by middleware.analytics.enabled. */
@Injectable()
export class AnalyticsInterceptor implements NestInterceptor {
  constructor(private readonly observer: RequestObserver) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const http = context.switchToHttp();
      this.observer.observeAnalytics(
        http.getRequest<Request>(),
        http.getResponse<Response>(),
        routePatternOf(http.getRequest<Request>()),
      );
    }
    return next.handle();
  }
}
