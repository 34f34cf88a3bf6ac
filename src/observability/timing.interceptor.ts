import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { RequestObserver } from './request-observer.js';

/** X-Response-Time on every answer; a warning log above middleware.timing.slow_request_threshold. Switched live by middleware.timing.enabled. */
@Injectable()
export class TimingInterceptor implements NestInterceptor {
  constructor(private readonly observer: RequestObserver) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const http = context.switchToHttp();
      this.observer.observeTiming(http.getRequest<Request>(), http.getResponse<Response>());
    }
    return next.handle();
  }
}
