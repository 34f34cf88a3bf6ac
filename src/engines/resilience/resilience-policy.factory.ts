import {
  bulkhead,
  circuitBreaker,
  CircuitState,
  ExponentialBackoff,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBackoffFactory,
  type IBreaker,
  type IRetryBackoffContext,
} from 'cockatiel';
import type { ResilienceConfig } from '../../config/config.schema.js';
import { EngineError, isEngineFault } from '../ports/engine-error.js';
import type { BreakerState } from './engine-resilience-stats.js';
import { DeliveredStreamError, ProbeAbortedError } from './resilience-errors.js';

/** The `resilience:` section of config.yaml, camelCased (as ConfigService holds it). */
export type ResilienceSettings = ResilienceConfig;

/** What one attempt receives: the per-attempt timeout's signal and the 0-based attempt number. */
export interface AttemptContext {
  signal: AbortSignal;
  attempt: number;
}

/** The composed policy, narrowed to what callers use. */
export interface EngineExecutor {
  execute<T>(fn: (context: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export interface EnginePolicyHooks {
  /**
   * A Retry-After longer than this (ms) is not waited out: the error is surfaced instead, so
   * the router can fall back rather than hold the request. Default 30 000.
   */
  maxRetryAfterMs?: number;
  onRetry?: (event: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Every breaker state change, in order. */
  onBreakerState?: (state: BreakerState) => void;
  /**
   * Emitted synchronously just before the half-open probe starts (before its first attempt
   * is invoked), so the caller can tag the probe.
   */
  onHalfOpen?: () => void;
  onBulkheadReject?: () => void;
}

export interface EnginePolicy {
  /** wrap(bulkhead, breaker, retry, timeout). */
  executor: EngineExecutor;
  /**
   * wrap(bulkhead, breaker, retry) over the same bulkhead and breaker, for streamed work
   * whose length the caller bounds itself (EngineCallGuard.runStreaming's idle timeout).
   */
  streamExecutor: EngineExecutor;
  breaker: CircuitBreakerPolicy;
  bulkhead: BulkheadPolicy;
  timeoutMs: number;
  halfOpenAfterMs: number;
}

const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

/** Server-requested wait in ms (RemoteEngineError and EngineBusyError-like errors), if any. */
export function retryAfterMs(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('retryAfterSeconds' in error)) return undefined;
  const seconds = error.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** Only transient engine errors are retried, and only when any Retry-After is within the cap. */
export function isRetryable(error: unknown, maxRetryAfterMs = DEFAULT_MAX_RETRY_AFTER_MS): boolean {
  if (!(error instanceof EngineError) || !error.retryable) return false;
  const wait = retryAfterMs(error);
  return wait === undefined || wait <= maxRetryAfterMs;
}

/**
 * What the breaker counts: the engine failing (transient, failed, unavailable), never the
 * client's mistakes (invalid_input, voice_not_found) or the caller going away (aborted).
 * An aborted half-open probe is handled too, so it re-opens the circuit rather than closing it.
 */
export function countsAsBreakerFailure(error: unknown): boolean {
  if (error instanceof ProbeAbortedError) return true;
  if (error instanceof DeliveredStreamError) return isEngineFault(error.error);
  return error instanceof EngineError && isEngineFault(error);
}

/** Backoff that waits max(exponential backoff, the error's Retry-After). */
function withRetryAfter(
  base: IBackoffFactory<IRetryBackoffContext<unknown>>,
): IBackoffFactory<IRetryBackoffContext<unknown>> {
  return {
    next(context): IBackoff<IRetryBackoffContext<unknown>> {
      const step = base.next(context);
      const requested = 'error' in context.result ? retryAfterMs(context.result.error) : undefined;
      return {
        duration: Math.max(step.duration, requested ?? 0),
        next: (ctx) => withRetryAfter(step).next(ctx),
      };
    },
  };
}

/**
 * Consecutive-failure breaker with a probation period mapping `half_open_max_calls`:
 * cockatiel lets exactly one probe through in half-open and closes on its success; after
 * that, the next `halfOpenMaxCalls - 1` calls are on probation and a single counted failure
 * among them re-opens the circuit. So the circuit is trusted again only after
 * `halfOpenMaxCalls` consecutive successes (probe included).
 */
export class ProbationBreaker implements IBreaker {
  private consecutive = 0;
  private probation = 0;

  constructor(
    private readonly threshold: number,
    private readonly halfOpenMaxCalls: number,
  ) {}

  get state(): unknown {
    return { consecutive: this.consecutive, probation: this.probation };
  }

  set state(value: unknown) {
    const v = value as { consecutive?: number; probation?: number } | null;
    this.consecutive = v?.consecutive ?? 0;
    this.probation = v?.probation ?? 0;
  }

  success(state: CircuitState): void {
    this.consecutive = 0;
    if (state === CircuitState.HalfOpen) this.probation = Math.max(0, this.halfOpenMaxCalls - 1);
    else if (this.probation > 0) this.probation--;
  }

  failure(state: CircuitState): boolean {
    if (state === CircuitState.HalfOpen || this.probation > 0) {
      this.probation = 0;
      this.consecutive = 0;
      return true;
    }
    this.consecutive++;
    if (this.consecutive >= this.threshold) {
      this.consecutive = 0;
      return true;
    }
    return false;
  }
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * Builds wrap(bulkhead, breaker, retry, timeout), outermost first:
 *
 * - bulkhead outermost: it bounds the whole call (all attempts and backoff waits hold one
 *   slot), so `max_concurrent` really is the engine's concurrency, and overflow beyond the
 *   queue is refused before any work.
 * - breaker outside retry: one logical call = one breaker outcome, so `failure_threshold`
 *   counts consecutive failed *requests* (after retries), and an open breaker refuses fast
 *   without retrying.
 * - retry outside timeout: each attempt gets its own `timeout_seconds` budget; a timed-out
 *   attempt becomes a transient error and is retried like any other.
 * - timeout innermost, cooperative: it aborts the attempt's signal, which the inner engine
 *   honours; the attempt function turns that into a transient "timed out" error.
 *
 * `retry.max_attempts` is the total number of attempts (first try included).
 */
export function buildEnginePolicy(config: ResilienceSettings, hooks: EnginePolicyHooks = {}): EnginePolicy {
  const maxRetryAfterMs = hooks.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const timeoutMs = Math.round(config.timeoutSeconds * 1000);
  const halfOpenAfterMs = Math.round(config.circuitBreaker.timeoutSeconds * 1000);
  const initialDelay = config.retry.initialDelayMs;

  const bulkheadPolicy = bulkhead(config.bulkhead.maxConcurrent, config.bulkhead.queue);
  // A switched-off breaker is still in the chain (same shape everywhere) but nothing counts against it.
  const breakerEnabled = config.circuitBreaker.enabled !== false;
  const breakerPolicy = circuitBreaker(
    handleWhen((error) => breakerEnabled && countsAsBreakerFailure(error)),
    {
      halfOpenAfter: halfOpenAfterMs,
      breaker: new ProbationBreaker(
        config.circuitBreaker.failureThreshold,
        config.circuitBreaker.halfOpenMaxCalls,
      ),
    },
  );
  const retryPolicy = retry(
    handleWhen((error) => isRetryable(error, maxRetryAfterMs)),
    {
      maxAttempts: Math.max(0, config.retry.maxAttempts - 1),
      backoff: withRetryAfter(
        new ExponentialBackoff({
          initialDelay,
          exponent: config.retry.backoffFactor,
          maxDelay: Math.max(initialDelay, 30_000),
        }),
      ),
    },
  );
  const timeoutPolicy = timeout(timeoutMs, TimeoutStrategy.Cooperative);

  if (hooks.onBulkheadReject) bulkheadPolicy.onReject(hooks.onBulkheadReject);
  if (hooks.onHalfOpen) breakerPolicy.onHalfOpen(hooks.onHalfOpen);
  const onBreakerState = hooks.onBreakerState;
  if (onBreakerState) breakerPolicy.onStateChange((state) => onBreakerState(STATE_NAMES[state]));
  const onRetry = hooks.onRetry;
  if (onRetry) {
    retryPolicy.onRetry((event) =>
      onRetry({
        attempt: event.attempt,
        delayMs: event.delay,
        error: 'error' in event ? event.error : undefined,
      }),
    );
  }

  const executor: EngineExecutor = wrap(bulkheadPolicy, breakerPolicy, retryPolicy, timeoutPolicy);
  // Same policy instances, so streamed and whole calls share one concurrency limit and one breaker.
  const streamExecutor: EngineExecutor = wrap(bulkheadPolicy, breakerPolicy, retryPolicy);
  return {
    executor,
    streamExecutor,
    breaker: breakerPolicy,
    bulkhead: bulkheadPolicy,
    timeoutMs,
    halfOpenAfterMs,
  };
}
