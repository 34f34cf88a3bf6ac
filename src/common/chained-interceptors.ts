import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';

/** An interceptor that answers its Observable at once (not a promise of one). */
export interface SynchronousInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown>;
}

/**
 * Several interceptors registered as one, outermost first. Nest runs each registered
 * interceptor behind a deferred Observable of its own, an async-context resource and a
 * mergeAll on every request; chained here, an interceptor's next.handle() calls the next
 * one's intercept() directly. That is the same for interceptors that call next.handle()
 * while they intercept (the ones the gateway registers globally): they run in the same
 * order, in the same request context, and each handle() call builds its own chain, as
 * Nest's does (an interceptor that retries calls the inner ones again).
 */
export class ChainedInterceptors implements NestInterceptor {
  constructor(private readonly interceptors: readonly SynchronousInterceptor[]) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return this.handlerAt(0, context, next).handle();
  }

  private handlerAt(index: number, context: ExecutionContext, next: CallHandler): CallHandler {
    if (index >= this.interceptors.length) return next;
    const interceptor = this.interceptors[index];
    return {
      handle: () => interceptor.intercept(context, this.handlerAt(index + 1, context, next)),
    };
  }
}
