import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { AppError } from './app-error.js';
import { buildEnvelope } from './envelope.js';
import type { ErrorCode } from './error-code.js';
import { ERROR_CODE_LOCAL, RequestObserver } from '../observability/request-observer.js';
import { ROOT_LOGGER } from './injection-tokens.js';
import { RequestContextStore } from './request-context.js';
import { databaseUnavailableError, isDatabaseUnavailable } from '../database/database-unavailable.js';

interface RenderedError {
  status: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
  headers?: Record<string, string>;
}

/** body-parser marks its errors with a `type`; they are client mistakes, not crashes. */
interface BodyParserError {
  type: string;
  status?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return typeof error === 'object' && error !== null && typeof (error as BodyParserError).type === 'string';
}

/**
 * The one place errors become responses. Domain errors keep their code and message;
 * framework errors are mapped to stable codes; anything else is logged in full and the
 * client gets a generic 500 with the request id. Paths under /v1/ answer in OpenAI's
 * error shape, everything else in the envelope.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly observer: RequestObserver,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const rendered = this.render(exception, request);
    const context = RequestContextStore.current();
    const requestId = context?.requestId ?? String(response.getHeader('X-Request-ID') ?? 'unknown');

    if (response.headersSent) {
      // A streamed answer already started; all that can be done is to end it.
      response.end();
      return;
    }
    // Requests refused before any interceptor ran (unknown route, guard, unreadable body) are observed here.
    this.observer.observeAll(request, response);
    response.locals[ERROR_CODE_LOCAL] = rendered.code;
    for (const [name, value] of Object.entries(rendered.headers ?? {})) response.setHeader(name, value);
    // Refused before its body was read (a guard, a limit): the rest is never read, the connection closes.
    if (!request.complete) response.setHeader('Connection', 'close');

    if (isOpenAiPath(request.path)) {
      response.status(rendered.status).json(openAiErrorBody(rendered));
      return;
    }
    response.status(rendered.status).json(
      buildEnvelope({
        status: 'error',
        message: rendered.message,
        data: rendered.details ?? null,
        requestId,
        errorCode: rendered.code,
        startedAt: context?.startedAt ?? process.hrtime.bigint(),
      }),
    );
  }

  private render(exception: unknown, request: Request): RenderedError {
    if (exception instanceof AppError) {
      // The detail behind a generic answer (what a remote engine said) goes to the log only.
      if (exception.cause instanceof Error) {
        this.logger.warn({ code: exception.code, cause: exception.cause.message }, 'request failed: cause');
      }
      return {
        status: exception.status,
        code: exception.code,
        message: exception.message,
        details: exception.details,
        headers: exception.headers,
      };
    }
    // Nest wraps body-parser's errors in an HttpException; the original carries the reason.
    const bodyError = exception instanceof HttpException ? exception.cause : exception;
    if (isBodyParserError(bodyError)) {
      if (bodyError.type === 'entity.too.large') {
        return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' };
      }
      if (bodyError.type === 'entity.parse.failed') {
        return { status: 400, code: 'MALFORMED_JSON', message: 'The request body is not valid JSON.' };
      }
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) {
        return { status, code: 'ROUTE_NOT_FOUND', message: `No route for ${request.method} ${request.path}` };
      }
      if (status === 413)
        return { status, code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' };
      if (status === 403) return { status, code: 'FORBIDDEN', message: 'This request is not allowed.' };
      if (status >= 400 && status < 500) {
        return { status: 400, code: 'VALIDATION_FAILED', message: 'The request could not be read.' };
      }
    }
    if (isDatabaseUnavailable(exception)) {
      // An outage the client can wait out (503 + Retry-After), not a server bug.
      this.logger.warn({ err: exception, path: request.path }, 'database unavailable');
      const error = databaseUnavailableError();
      return { status: error.status, code: error.code, message: error.message, headers: error.headers };
    }
    // Not request.destroyed: a request stream is destroyed as soon as its body has been read.
    if (request.socket.destroyed) {
      // The client left mid-request and the work was cut short: expected, not a server fault.
      this.logger.debug({ err: exception, path: request.path }, 'request abandoned by the client');
      return { status: 499, code: 'REQUEST_CANCELLED', message: 'The client cancelled the request.' };
    }
    this.logger.error({ err: exception, path: request.path, method: request.method }, 'unhandled error');
    return {
      status: 500,
      code: 'INTERNAL_ERROR',
      message: 'Internal server error. Quote the request id when reporting it.',
    };
  }
}

/** OpenAI's error shape (every /v1/ answer, and the error event of a streamed chat answer). */
export function openAiErrorBody(error: {
  status: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
}): {
  error: { message: string; type: string; param: string | null; code: string };
} {
  return {
    error: {
      message: error.message,
      type: openAiErrorType(error.status),
      param: firstInvalidField(error.details),
      code: error.code.toLowerCase(),
    },
  };
}

/** OpenAI's `param`: the first field a validation error names (`data.fields` in the envelope). */
function firstInvalidField(details: unknown): string | null {
  if (typeof details !== 'object' || details === null) return null;
  const fields = (details as { fields?: unknown }).fields;
  if (!Array.isArray(fields)) return null;
  const first: unknown = fields[0];
  const field =
    typeof first === 'object' && first !== null ? (first as { field?: unknown }).field : undefined;
  return typeof field === 'string' ? field : null;
}

/** The OpenAI-compatible surface; /v1/tts is the native TTS alias and keeps the envelope. */
export function isOpenAiPath(path: string): boolean {
  return path.startsWith('/v1/') && !path.startsWith('/v1/tts');
}

function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}
