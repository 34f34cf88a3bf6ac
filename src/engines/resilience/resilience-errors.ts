import { EngineError } from '../ports/engine-error.js';

/**
 * The engine refused the call without trying it: its bulkhead (concurrency limit plus
 * queue) is full. Kind `unavailable`, so the router falls back to the next engine;
 * `retryAfterSeconds` is a hint for a 429/503 Retry-After when there is no fallback.
 */
export class EngineBusyError extends EngineError {
  readonly reason = 'bulkhead_full' as const;

  constructor(
    engineId: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('unavailable', 'engine busy: concurrency limit and queue are full', engineId, options);
    this.name = 'EngineBusyError';
  }
}

/**
 * The engine refused the call without trying it: its circuit breaker is open after
 * repeated failures. Kind `unavailable`; `retryAfterSeconds` is when a probe is allowed.
 */
export class CircuitOpenError extends EngineError {
  readonly reason = 'circuit_open' as const;

  constructor(
    engineId: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('unavailable', 'circuit breaker open', engineId, options);
    this.name = 'CircuitOpenError';
  }
}

/**
 * Internal: the caller aborted the half-open probe. Thrown inside the policy only, so the
 * breaker re-opens instead of treating the unhandled abort as a healthy probe (cockatiel
 * closes the circuit on any error its filter does not handle). Mapped back to `aborted`
 * before it leaves ResilientTtsEngine.
 */
export class ProbeAbortedError extends Error {
  constructor(readonly abort: EngineError) {
    super(abort.message, { cause: abort });
    this.name = 'ProbeAbortedError';
  }
}

/**
 * Internal: a streamed call failed after it had delivered output to the caller. Thrown
 * inside the policy only, so the retry policy (which handles EngineErrors) leaves it alone
 * — a retry would repeat output the caller already has — while the breaker still counts
 * the engine's fault. Unwrapped to `error` before it leaves EngineCallGuard.
 */
export class DeliveredStreamError extends Error {
  constructor(readonly error: EngineError) {
    super(error.message, { cause: error });
    this.name = 'DeliveredStreamError';
  }
}
