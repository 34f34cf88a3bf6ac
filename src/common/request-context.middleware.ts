import type { NextFunction, Request, Response } from 'express';
import { acceptOrGenerateRequestId, RequestContextStore } from './request-context.js';

export const REQUEST_ID_HEADER = 'X-Request-ID';

/**
 * First middleware of every request: adopts a valid X-Request-ID or makes one, echoes it,
 * and opens the AsyncLocalStorage context the rest of the request runs in.
 */
export function requestContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const requestId = acceptOrGenerateRequestId(req.header(REQUEST_ID_HEADER));
  res.setHeader(REQUEST_ID_HEADER, requestId);
  RequestContextStore.run({ requestId, startedAt: process.hrtime.bigint(), principal: req.ip }, () => next());
}
