import type { NextFunction, Request, Response } from 'express';
import { acceptOrGenerateRequestId, RequestContextStore } from './request-context.js';

export const REQUEST_ID_HEADER = 'X-Request-ID';
const REQUEST_ID_HEADER_LOWER = REQUEST_ID_HEADER.toLowerCase();

/** What the middleware needs from one configured header name, worked out when the name changes. */
interface RequestIdHeader {
  name: string;
  /** Lower case, as Node keys req.headers. */
  key: string;
  /** Whether it is X-Request-ID (then it is echoed once). */
  isStandard: boolean;
}

function requestIdHeaderOf(name: string): RequestIdHeader {
  const key = name.toLowerCase();
  return { name, key, isStandard: key === REQUEST_ID_HEADER_LOWER };
}

/**
 * First middleware of every request: adopts a valid request id from the configured header
 * (server.request_id_header, CORRELATION_ID_HEADER; read per request) or makes one, echoes
 * it in that header and in X-Request-ID, and opens the AsyncLocalStorage context the rest
 * of the request runs in.
 */
export function requestContextMiddleware(
  headerName: () => string = () => REQUEST_ID_HEADER,
): (req: Request, res: Response, next: NextFunction) => void {
  let header = requestIdHeaderOf(headerName());
  return (req, res, next) => {
    const name = headerName();
    if (name !== header.name) header = requestIdHeaderOf(name);
    // Express's req.header() lower-cases the name on every call; Referer has its alias there.
    const candidate =
      header.key === 'referer' || header.key === 'referrer' ? req.header(name) : req.headers[header.key];
    const requestId = acceptOrGenerateRequestId(candidate);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    if (!header.isStandard) res.setHeader(name, requestId);
    RequestContextStore.run({ requestId, startedAt: process.hrtime.bigint(), principal: req.ip }, () =>
      next(),
    );
  };
}
