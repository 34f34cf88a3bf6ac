import type { NextFunction, Request, Response } from 'express';
import { acceptOrGenerateRequestId, RequestContextStore } from './request-context.js';

export const REQUEST_ID_HEADER = 'X-Request-ID';

/**
 * First middleware of every request: adopts a valid request id from the configured header
 * (server.request_id_header, CORRELATION_ID_HEADER; read per request) or makes one, echoes
 * it in that header and in X-Request-ID, and opens the AsyncLocalStorage context the rest
 * of the request runs in.
 */
export function requestContextMiddleware(
  headerName: () => string = () => REQUEST_ID_HEADER,
): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const header = headerName();
    const requestId = acceptOrGenerateRequestId(req.header(header));
    res.setHeader(REQUEST_ID_HEADER, requestId);
    if (header.toLowerCase() !== REQUEST_ID_HEADER.toLowerCase()) res.setHeader(header, requestId);
    RequestContextStore.run({ requestId, startedAt: process.hrtime.bigint(), principal: req.ip }, () =>
      next(),
    );
  };
}
