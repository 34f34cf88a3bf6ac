import { AppError } from '../common/app-error.js';
import { appErrorForEngine, type EngineErrorWording, isClientSafe } from './engine-app-error.js';
import { EngineError } from './ports/engine-error.js';
import { retryAfterMs } from './resilience/resilience-policy.factory.js';

/** One engine of a fallback chain that did not serve: its error, or why it could not be borrowed. */
export interface EngineAttemptFailure {
  engine: string;
  error: EngineError | string;
}

/** What a client is told about one engine's failure: a remote engine's own text stays in the log. */
function publicReason(error: EngineError | string): string {
  if (typeof error === 'string') return error;
  if (isClientSafe(error)) return error.message;
  switch (error.kind) {
    case 'transient':
      return 'the remote engine failed or timed out';
    case 'unavailable':
      return 'the remote engine is unreachable or refused the credentials';
    case 'failed':
    case 'invalid_input':
    case 'voice_not_found':
    case 'aborted':
      return 'the remote engine could not serve the request';
  }
}

/** Retry-After when no engine said when it can serve again. */
const DEFAULT_RETRY_AFTER_SECONDS = 30;

/**
 * The answer when every engine of a chain failed. One engine tried: its own error (503
 * ENGINE_BUSY, 502 ENGINE_FAILED, …). Several: 503 ENGINE_UNAVAILABLE naming each engine's
 * reason, with Retry-After the soonest time any of them said it may serve again (a breaker's
 * half-open time, a bulkhead's estimate, a remote's Retry-After), else 30 s. A remote
 * engine's own text is never quoted to the client; every engine's goes to the log.
 */
export function engineChainExhausted(
  failures: readonly EngineAttemptFailure[],
  wording: EngineErrorWording & { label: string },
): AppError {
  const only = failures.length === 1 ? failures[0] : undefined;
  if (only && only.error instanceof EngineError) return appErrorForEngine(only.error, wording);
  const reasons = failures.map(({ engine, error }) => ({ engine, reason: publicReason(error) }));
  const detail = failures
    .map(({ engine, error }) => `${engine}: ${typeof error === 'string' ? error : error.message}`)
    .join('; ');
  const hints = failures.flatMap(({ error }) => {
    const ms = retryAfterMs(error);
    return ms === undefined ? [] : [ms / 1000];
  });
  const retryAfter =
    hints.length > 0 ? Math.max(1, Math.ceil(Math.min(...hints))) : DEFAULT_RETRY_AFTER_SECONDS;
  const message = only
    ? `Engine '${only.engine}' cannot ${wording.task} now: ${reasons[0]?.reason}.`
    : `No ${wording.label} engine can ${wording.task} now (${reasons.map((r) => `${r.engine}: ${r.reason}`).join('; ')}).`;
  return new AppError(
    'ENGINE_UNAVAILABLE',
    message,
    { engines: reasons },
    { 'Retry-After': String(retryAfter) },
    { cause: new Error(detail) },
  );
}
