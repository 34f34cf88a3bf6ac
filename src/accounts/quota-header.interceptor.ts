import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { setHeaderBeforeSend } from '../common/header-before-send.js';
import { RequestContextStore } from '../common/request-context.js';
import { accessRuleOf } from './auth/access.decorator.js';
import { QUOTA_REMAINING_HEADER } from './quota.service.js';

/**
 * X-Quota-Remaining on every metered answer (audio, JSON, stream or error): set just before
 * the headers leave, from what the metering recorded on the request context. Public routes
 * have no account, so nothing there is metered and they are left alone.
 */
@Injectable()
export class QuotaHeaderInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http' || accessRuleOf(this.reflector, context)?.kind === 'public') {
      return next.handle();
    }
    const requestContext = RequestContextStore.current();
    if (requestContext) {
      const res = context.switchToHttp().getResponse<Response>();
      setHeaderBeforeSend(res, QUOTA_REMAINING_HEADER, () => {
        const remaining = requestContext.quotaRemainingSeconds;
        return remaining === undefined ? undefined : String(remaining);
      });
    }
    return next.handle();
  }
}
