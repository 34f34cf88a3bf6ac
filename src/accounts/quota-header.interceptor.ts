import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { setHeaderBeforeSend } from '../common/header-before-send.js';
import type { Observable } from 'rxjs';
import { RequestContextStore } from '../common/request-context.js';
import { QUOTA_REMAINING_HEADER } from './quota.service.js';

/**
 * X-Quota-Remaining on every metered answer (audio, JSON, stream or error): set just before
 * the headers leave, from what the metering recorded on the request context.
 */
@Injectable()
export class QuotaHeaderInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const requestContext = RequestContextStore.current();
    if (context.getType() === 'http' && requestContext) {
      const res = context.switchToHttp().getResponse<Response>();
      setHeaderBeforeSend(res, QUOTA_REMAINING_HEADER, () => {
        const remaining = requestContext.quotaRemainingSeconds;
        return remaining === undefined ? undefined : String(remaining);
      });
    }
    return next.handle();
  }
}
