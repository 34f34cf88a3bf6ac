import { AppError } from '../common/app-error.js';

/** Seconds a client is asked to wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Errors of a connection that cannot be made (refused, unresolvable, unreachable, no answer). */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);
/**
 * Errors of a connection lost mid-way. Only counted under TypeORM's QueryFailedError: an
 * encoder's pipe or an engine's socket fails with the same codes for other reasons.
 */
const LOST_CODES = new Set(['ECONNRESET', 'EPIPE']);

/**
 * SQLSTATEs of a server that is going away or refusing sessions: class 08 (connection
 * exception), 57P01–57P03 (terminated by an administrator, crash shutdown, cannot connect
 * now) and 53300 (too many connections).
 */
function isUnavailableSqlState(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300';
}

/** What node-postgres, its pool and TypeORM say when the connection is lost or never made. */
const MESSAGES = [
  /^Connection terminated/, // the server or a proxy closed the socket (also "... due to connection timeout")
  /timeout exceeded when trying to connect/, // pg-pool: no connection within connectionTimeoutMillis
  /is not queryable/, // a pooled client whose connection already failed
];
/** TypeORM's errors for a data source that is not (or no longer) connected. */
const NOT_CONNECTED = new Set(['CannotExecuteNotConnectedError', 'ConnectionIsNotSetError']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function looksUnavailable(error: Record<string, unknown>, inQuery: boolean): boolean {
  const code = error['code'];
  if (typeof code === 'string') {
    if (CONNECT_CODES.has(code) || isUnavailableSqlState(code)) return true;
    if (inQuery && LOST_CODES.has(code)) return true;
  }
  const name = error['name'];
  if (typeof name === 'string' && NOT_CONNECTED.has(name)) return true;
  const message = error['message'];
  return typeof message === 'string' && MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Whether an error means the database cannot be reached (PostgreSQL down or unreachable, the
 * embedded database's child process gone, the pool unable to connect), looking through
 * TypeORM's `driverError`, `cause` chains and the AggregateError of a multi-address connect.
 */
export function isDatabaseUnavailable(error: unknown, inQuery = false, depth = 0): boolean {
  if (!isRecord(error) || depth > 4) return false;
  if (error instanceof AppError) return false;
  if (looksUnavailable(error, inQuery)) return true;
  const query = inQuery || error['name'] === 'QueryFailedError';
  const nested: unknown[] = [error['driverError'], error['cause']];
  const errors = error['errors'];
  if (Array.isArray(errors)) nested.push(...(errors as unknown[]));
  return nested.some((inner) => isDatabaseUnavailable(inner, query, depth + 1));
}

/** The client's answer for an unreachable database: 503 DATABASE_UNAVAILABLE with Retry-After. */
export function databaseUnavailableError(): AppError {
  return new AppError('DATABASE_UNAVAILABLE', 'The database is unavailable; retry shortly.', undefined, {
    'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS),
  });
}
