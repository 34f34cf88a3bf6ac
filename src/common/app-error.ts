import { type ErrorCode, httpStatusOf } from './error-code.js';

/**
 * A domain error: services throw these, the exception filter renders them. The message is
 * shown to the client, so it must never contain secrets or user data beyond what the
 * client sent; `details` is structured and also public (e.g. a list of invalid fields).
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
    /** What caused it, for the log only (an engine's own account of a failure); never sent. */
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = httpStatusOf(code);
  }
}
