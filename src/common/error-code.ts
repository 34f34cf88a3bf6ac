/**
 * Stable error codes. They are API: clients branch on them, so a code is never renamed
 * or reused. Adding a code without mapping its HTTP status fails to compile
 * (`httpStatusOf` ends in an exhaustive switch).
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'TEXT_TOO_LONG'
  | 'VOICE_NOT_FOUND'
  /** A chat `model` no engine answers (OpenAI's model_not_found). */
  | 'MODEL_NOT_FOUND'
  | 'ENGINE_UNAVAILABLE'
  | 'ENGINE_BUSY'
  | 'ENGINE_FAILED'
  | 'REQUEST_CANCELLED'
  | 'PAYLOAD_TOO_LARGE'
  | 'FILE_TOO_LARGE'
  /** The user's files would exceed the plan's storage_quota_bytes. */
  | 'STORAGE_QUOTA_EXCEEDED'
  /** A download's Range lies outside the file (Content-Range: bytes *\/size). */
  | 'RANGE_NOT_SATISFIABLE'
  | 'AUDIO_TOO_LONG'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INVALID_AUDIO'
  | 'LANGUAGE_NOT_SUPPORTED'
  | 'FORBIDDEN'
  | 'ROUTE_NOT_FOUND'
  | 'NOT_FOUND'
  | 'FEATURE_DISABLED'
  | 'CONFIG_INVALID'
  | 'CONFIG_WRITE_FAILED'
  | 'SERVICE_NOT_READY'
  | 'DATABASE_UNAVAILABLE'
  | 'INTERNAL_ERROR'
  | 'INVALID_API_KEY'
  | 'INSUFFICIENT_SCOPE'
  | 'PLAN_FEATURE_DISABLED'
  | 'QUOTA_EXCEEDED'
  | 'RATE_LIMITED'
  | 'CONCURRENCY_LIMITED'
  | 'CONFLICT'
  /** A job's callback_url is not a public http(s) destination (nor in jobs.webhooks.allowed_hosts). */
  | 'CALLBACK_URL_REFUSED';

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
    case 'MALFORMED_JSON':
    case 'TEXT_TOO_LONG':
    case 'CONFIG_INVALID':
    case 'INVALID_AUDIO':
    case 'LANGUAGE_NOT_SUPPORTED':
    case 'CALLBACK_URL_REFUSED':
      return 400;
    case 'INVALID_API_KEY':
      return 401;
    case 'FORBIDDEN':
    case 'INSUFFICIENT_SCOPE':
    case 'PLAN_FEATURE_DISABLED':
      return 403;
    case 'CONFLICT':
      return 409;
    case 'QUOTA_EXCEEDED':
    case 'RATE_LIMITED':
    case 'CONCURRENCY_LIMITED':
      return 429;
    case 'ROUTE_NOT_FOUND':
    case 'NOT_FOUND':
    case 'VOICE_NOT_FOUND':
    case 'MODEL_NOT_FOUND':
    case 'FEATURE_DISABLED':
      return 404;
    case 'PAYLOAD_TOO_LARGE':
    case 'FILE_TOO_LARGE':
    case 'AUDIO_TOO_LONG':
    case 'STORAGE_QUOTA_EXCEEDED':
      return 413;
    case 'RANGE_NOT_SATISFIABLE':
      return 416;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'ENGINE_FAILED':
      return 502;
    case 'REQUEST_CANCELLED':
      // nginx's "client closed request": the client left, nobody reads this answer.
      return 499;
    case 'SERVICE_NOT_READY':
    case 'DATABASE_UNAVAILABLE':
    case 'ENGINE_UNAVAILABLE':
    case 'ENGINE_BUSY':
      return 503;
    case 'CONFIG_WRITE_FAILED':
    case 'INTERNAL_ERROR':
      return 500;
    default:
      return assertNever(code);
  }
}

export function assertNever(value: never): never {
  throw new Error(`Unhandled value: ${String(value)}`);
}
