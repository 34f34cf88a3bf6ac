import { BrokenCircuitError, BulkheadRejectedError, CircuitState, TaskCancelledError } from 'cockatiel';
import type { Logger } from 'pino';
import type { AudioClip } from '../ports/audio-clip.js';
import { abortedError, EngineError } from '../ports/engine-error.js';
import type { EngineHealth, EngineVoice } from '../ports/engine-health.js';
import type { SynthesisRequest, TtsCapabilities, TtsEngine } from '../ports/tts-engine.js';
import { EngineResilienceStats, type EngineResilienceStatsSnapshot } from './engine-resilience-stats.js';
import { CircuitOpenError, EngineBusyError, ProbeAbortedError } from './resilience-errors.js';
import {
  buildTtsPolicy,
  type AttemptContext,
  type ResilienceSettings,
  type TtsPolicy,
} from './resilience-policy.factory.js';

export { CircuitOpenError, EngineBusyError } from './resilience-errors.js';

export interface ResilientTtsEngineOptions {
  /** Breaker transitions and retries are logged here (warn/info/debug). */
  logger?: Logger;
  /** See TtsPolicyHooks.maxRetryAfterMs. */
  maxRetryAfterMs?: number;
  /** Calls kept for the latency percentiles. Default 1000. */
  latencyWindow?: number;
}

/**
 * A TtsEngine decorator that runs synthesize() through bulkhead → circuit breaker → retry →
 * per-attempt timeout (see buildTtsPolicy for why in that order) and keeps per-engine stats.
 * Everything else passes straight through. Errors leaving it are always EngineErrors:
 * refusals are `unavailable` (CircuitOpenError, EngineBusyError), timeouts `transient`,
 * caller aborts `aborted`.
 */
export class ResilientTtsEngine implements TtsEngine {
  readonly id: string;
  readonly type: string;
  private readonly policy: TtsPolicy;
  private readonly tracker: EngineResilienceStats;
  private readonly timeoutLabel: string;
  private probePending = false;
  private openedAt = 0;

  constructor(
    readonly inner: TtsEngine,
    settings: ResilienceSettings,
    options: ResilientTtsEngineOptions = {},
  ) {
    this.id = inner.id;
    this.type = inner.type;
    this.tracker = new EngineResilienceStats(options.latencyWindow ?? 1000);
    this.timeoutLabel = `${settings.timeoutSeconds}s`;
    const logger = options.logger;
    this.policy = buildTtsPolicy(settings, {
      maxRetryAfterMs: options.maxRetryAfterMs,
      onRetry: ({ attempt, delayMs, error }) => {
        this.tracker.retry();
        logger?.debug(
          { engine: this.id, attempt, delayMs, err: error instanceof Error ? error.message : error },
          'retrying synthesis',
        );
      },
      onHalfOpen: () => {
        this.probePending = true;
      },
      onBreakerState: (state) => {
        if (state === 'open') this.openedAt = Date.now();
        this.tracker.breaker(state);
        if (state === 'open') logger?.warn({ engine: this.id }, 'circuit breaker opened');
        else logger?.info({ engine: this.id, state }, `circuit breaker ${state}`);
      },
    });
  }

  capabilities(): TtsCapabilities {
    return this.inner.capabilities();
  }

  listVoices(signal?: AbortSignal): Promise<EngineVoice[]> {
    return this.inner.listVoices(signal);
  }

  /**
   * Unavailable while the breaker is open and its half-open time has not come yet. Once the
   * probe is due, the inner engine's health is reported again: cockatiel only goes half-open
   * when a call arrives, so reporting "open" forever would stop routers from ever probing.
   */
  async health(): Promise<EngineHealth> {
    if (this.openRemainingMs() > 0) return { available: false, reason: 'circuit breaker open' };
    return this.inner.health();
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }

  /** Counters, breaker state/transitions and latency percentiles; plain JSON. */
  stats(): EngineResilienceStatsSnapshot {
    return this.tracker.snapshot();
  }

  async synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<AudioClip> {
    this.tracker.call();
    if (signal.aborted) {
      this.tracker.abort();
      throw abortedError(this.id);
    }
    const started = performance.now();
    const call = { probe: false };
    const attempt = (context: AttemptContext): Promise<AudioClip> =>
      this.attempt(request, signal, context, call);
    try {
      const clip = await raceAbort(this.policy.executor.execute(attempt, signal), signal, () =>
        abortedError(this.id),
      );
      this.tracker.success(performance.now() - started);
      return clip;
    } catch (error) {
      throw this.settle(error, signal, performance.now() - started);
    }
  }

  /** One attempt: the inner call under the attempt's timeout signal and the caller's signal. */
  private async attempt(
    request: SynthesisRequest,
    callerSignal: AbortSignal,
    context: AttemptContext,
    call: { probe: boolean },
  ): Promise<AudioClip> {
    // Runs synchronously right after the breaker's onHalfOpen, so this call is the probe.
    if (this.probePending) {
      this.probePending = false;
      call.probe = true;
    }
    if (callerSignal.aborted) throw this.callerAbort(call);
    // cockatiel drops the caller's signal for calls that waited out a half-open probe, so
    // combine both rather than trusting context.signal alone.
    const attemptSignal = AbortSignal.any([context.signal, callerSignal]);
    try {
      return await this.inner.synthesize(request, attemptSignal);
    } catch (error) {
      if (callerSignal.aborted) throw this.callerAbort(call);
      if (context.signal.aborted) {
        this.tracker.timeout();
        throw new EngineError('transient', `timed out after ${this.timeoutLabel}`, this.id, { cause: error });
      }
      if (error instanceof EngineError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new EngineError('failed', message, this.id, { cause: error });
    }
  }

  private callerAbort(call: { probe: boolean }): Error {
    const aborted = abortedError(this.id);
    return call.probe ? new ProbeAbortedError(aborted) : aborted;
  }

  /** Maps whatever the policy threw to an EngineError and records the outcome. */
  private settle(error: unknown, signal: AbortSignal, latencyMs: number): EngineError {
    if (error instanceof BrokenCircuitError) {
      this.tracker.rejected('circuit_open');
      return new CircuitOpenError(this.id, Math.max(1, Math.ceil(this.openRemainingMs() / 1000)), {
        cause: error,
      });
    }
    if (error instanceof BulkheadRejectedError) {
      this.tracker.rejected('bulkhead_full');
      const p50 = this.tracker.snapshot().latency.p50 ?? 1000;
      return new EngineBusyError(this.id, Math.max(1, Math.ceil(p50 / 1000)), { cause: error });
    }
    if (error instanceof ProbeAbortedError) {
      this.tracker.abort();
      return error.abort;
    }
    if (error instanceof TaskCancelledError || (signal.aborted && isAborted(error))) {
      this.tracker.abort();
      return error instanceof EngineError ? error : abortedError(this.id);
    }
    if (signal.aborted) {
      this.tracker.abort();
      return abortedError(this.id);
    }
    this.tracker.failure(latencyMs);
    if (error instanceof EngineError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new EngineError('failed', message, this.id, { cause: error });
  }

  private openRemainingMs(): number {
    if (this.policy.breaker.state !== CircuitState.Open) return 0;
    return Math.max(0, this.openedAt + this.policy.halfOpenAfterMs - Date.now());
  }
}

function isAborted(error: unknown): boolean {
  return error instanceof EngineError && error.kind === 'aborted';
}

/**
 * Settles with the caller's abort as soon as it fires, even while the policy is still in a
 * retry backoff wait (cockatiel's waits are not abortable); the policy's own promise is left
 * to finish in the background (its next attempt sees the aborted signal and stops).
 */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
