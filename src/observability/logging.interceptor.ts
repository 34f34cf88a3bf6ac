import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { RequestObserver } from './request-observer.js';

/** One summary log line per request (method, path, status, duration). Switched live by middleware.logging.enabled. */
@Injectable()
export class LoggingInterceptor implements NestInterceptor {
  constructor(private readonly observer: RequestObserver) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const http = context.switchToHttp();
      this.observer.observeLogging(http.getRequest<Request>(), http.getResponse<Response>());
    }
    return next.handle();
  }
}
