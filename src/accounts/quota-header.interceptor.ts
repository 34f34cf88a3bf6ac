import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
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
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
      // Patched per response, as the timing observer does: the last moment headers can change.
      (res as unknown as { writeHead: (...args: unknown[]) => Response }).writeHead = (
        ...args: unknown[]
      ) => {
        const remaining = requestContext.quotaRemainingSeconds;
        if (remaining !== undefined && !res.headersSent)
          res.setHeader(QUOTA_REMAINING_HEADER, String(remaining));
        return writeHead(...args);
      };
    }
    return next.handle();
  }
}
