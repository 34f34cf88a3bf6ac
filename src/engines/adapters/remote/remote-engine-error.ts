import { EngineError, type EngineErrorKind } from '../../ports/engine-error.js';

/**
 * An EngineError from a remote engine's server. Its message quotes what the server said
 * (scrubbed of the key): it is for the log, and clients get a generic answer naming the
 * engine instead (engine-app-error.ts). It also carries the server's Retry-After (seconds),
 * when it sent one with a 429 or 5xx: a retry policy may wait that long instead of guessing.
 */
export class RemoteEngineError extends EngineError {
  constructor(
    kind: EngineErrorKind,
    message: string,
    engineId: string,
    /** Seconds the server asked the client to wait before retrying; undefined when it did not say. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(kind, message, engineId, options);
    this.name = 'RemoteEngineError';
  }
}

/**
 * Retry-After as seconds: either delta-seconds ("3") or an HTTP date. Undefined when absent
 * or unreadable; never negative.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
