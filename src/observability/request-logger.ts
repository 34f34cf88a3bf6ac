import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { RequestContextStore } from '../common/request-context.js';
import type { ConfigService } from '../config/config.service.js';
import { isProbeRequest } from './probe-routes.js';
import { CLIENT_CLOSED_REQUEST } from './request-observer.js';

/** Per-response state of the summary line, kept on the response (no closure per request). */
const SUMMARY = Symbol('speech-gateway:request-summary');

interface PendingSummary {
  logger: Logger;
  req: Request;
  requestId: string | undefined;
  startedAt: number;
  done: boolean;
}

type SummarisedResponse = Response & { [SUMMARY]?: PendingSummary };

/**
 * The request logger: one summary line per request through the root logger
 * (`request completed`, `request failed` at error level for 5xx, `request aborted by the
 * client` with status 499) with request_id, method, path, status, ms and bytes. Switched
 * live by middleware.logging.enabled (read when the request starts); the level follows the
 * root logger's. Health probes (probe-routes.ts) write no line.
 *
 * Hand-written rather than pino-http: pino-http builds two child loggers and serialises
 * the request for every request, logged or not — about a tenth of the CPU of a
 * GET /health/live — for a line that uses none of it.
 */
export function createRequestLogger(root: Logger, config: ConfigService): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (config.current.middleware.logging.enabled && !isProbeRequest(req)) {
      (res as SummarisedResponse)[SUMMARY] = {
        logger: root,
        req,
        // Kept: 'finish' may fire outside the request's async context.
        requestId: RequestContextStore.current()?.requestId,
        startedAt: Date.now(),
        done: false,
      };
      res.once('finish', writeSummary);
      res.once('close', writeSummary);
    }
    next();
  };
}

/** Listener of 'finish' and 'close' (`this` is the response); the first one writes the line. */
function writeSummary(this: SummarisedResponse): void {
  const pending = this[SUMMARY];
  if (!pending || pending.done) return;
  pending.done = true;
  const status = this.writableFinished ? this.statusCode : CLIENT_CLOSED_REQUEST;
  const failed = this.statusCode >= 500;
  const level = failed ? 'error' : 'info';
  if (!pending.logger.isLevelEnabled(level)) return;
  const line = {
    request_id: pending.requestId,
    method: pending.req.method,
    path: pending.req.path,
    status,
    ms: Date.now() - pending.startedAt,
    bytes: Number(this.getHeader('content-length') ?? 0) || undefined,
  };
  const message = failed
    ? 'request failed'
    : status === CLIENT_CLOSED_REQUEST
      ? 'request aborted by the client'
      : 'request completed';
  pending.logger[level](line, message);
}
