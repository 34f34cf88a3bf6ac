import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { type HttpLogger, pinoHttp } from 'pino-http';
import { RequestContextStore } from '../common/request-context.js';
import type { ConfigService } from '../config/config.service.js';
import { CLIENT_CLOSED_REQUEST } from './request-observer.js';

/**
 * The request logger: pino-http over the root logger, writing one summary line per request
 * (`request completed`, `request failed` at error level for 5xx, `request aborted by the
 * client` with status 499) with method, path, status, ms and bytes. Switched live by
 * middleware.logging.enabled (read when the request starts). It binds nothing of its own:
 * the root logger's mixin already puts the request id on every line, inside requests or
 * not, and pino-http's `req`/`res` objects would only repeat (and risk leaking) headers.
 */
export function createRequestLogger(
  root: Logger,
  config: ConfigService,
): HttpLogger<IncomingMessage, ServerResponse> {
  const statusOf = (res: ServerResponse): number =>
    res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST;
  // The id is given explicitly: 'finish' may fire outside the request's async context.
  const summary = (req: IncomingMessage, res: ServerResponse, responseTime: number) => ({
    request_id: (req as IncomingMessage & { id?: unknown }).id,
    method: req.method,
    path: (req as Request).path,
    status: statusOf(res),
    ms: responseTime,
    bytes: Number((res as Response).getHeader('content-length') ?? 0) || undefined,
  });
  return pinoHttp({
    logger: root,
    // The request id is the one the request-context middleware adopted or made.
    genReqId: () => RequestContextStore.current()?.requestId ?? randomUUID(),
    quietReqLogger: false,
    quietResLogger: false,
    // Serialised to nothing: the summary line carries its own fields.
    serializers: { req: () => undefined, res: () => undefined },
    autoLogging: { ignore: () => !config.current.middleware.logging.enabled },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (_req, res) =>
      statusOf(res) === CLIENT_CLOSED_REQUEST ? 'request aborted by the client' : 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (req, res, value: { responseTime: number }) => summary(req, res, value.responseTime),
    customErrorObject: (req, res, _error, value: { responseTime: number }) =>
      summary(req, res, value.responseTime),
  });
}
