import { BrokenCircuitError, BulkheadRejectedError, CircuitState, TaskCancelledError } from 'cockatiel';
import type { Logger } from 'pino';
import { abortedError, EngineError } from '../ports/engine-error.js';
import type { EngineHealth } from '../ports/engine-health.js';
import { RequestContextStore } from '../../common/request-context.js';
import type { AudioMeasure, EngineCallObserver } from './engine-call-observer.js';
import { EngineResilienceStats, type EngineResilienceStatsSnapshot } from './engine-resilience-stats.js';
import {
  CircuitOpenError,
  DeliveredStreamError,
  EngineBusyError,
  ProbeAbortedError,
} from './resilience-errors.js';
import {
  buildEnginePolicy,
  type AttemptContext,
  type EnginePolicy,
  type ResilienceSettings,
} from './resilience-policy.factory.js';

export interface EngineCallGuardOptions {
  /** Breaker transitions and retries are logged here (warn/info/debug). */
  logger?: Logger;
  /** See EnginePolicyHooks.maxRetryAfterMs. */
  maxRetryAfterMs?: number;
  /** Calls kept for the latency percentiles. Default 1000. */
  latencyWindow?: number;
  /** Names the work in debug logs ("synthesis", "transcription"). */
  callName?: string;
  /** Told every call's outcome (metrics). */
  observer?: EngineCallObserver;
}

/**
 * One engine's resilience: every call goes through bulkhead → circuit breaker → retry →
 * per-attempt timeout (see buildEnginePolicy for why in that order), and the outcome is
 * counted. Engine decorators of every kind (TTS, STT, chat) hand their one expensive call
 * to run(); everything else they pass straight through. Errors leaving run() are always
 * EngineErrors: refusals are `unavailable` (CircuitOpenError, EngineBusyError), timeouts
 * `transient`, caller aborts `aborted`.
 */
export class EngineCallGuard {
  private readonly policy: EnginePolicy;
  private readonly tracker: EngineResilienceStats;
  private readonly timeoutLabel: string;
  private readonly timeoutMs: number;
  private readonly observer?: EngineCallObserver;
  private probePending = false;
  private openedAt = 0;

  constructor(
    private readonly engineId: string,
    settings: ResilienceSettings,
    options: EngineCallGuardOptions = {},
  ) {
    this.tracker = new EngineResilienceStats(options.latencyWindow ?? 1000);
    this.timeoutLabel = `${settings.timeoutSeconds}s`;
    this.timeoutMs = Math.round(settings.timeoutSeconds * 1000);
    const logger = options.logger;
    const callName = options.callName ?? 'call';
    this.observer = options.observer;
    this.policy = buildEnginePolicy(settings, {
      maxRetryAfterMs: options.maxRetryAfterMs,
      onRetry: ({ attempt, delayMs, error }) => {
        this.tracker.retry();
        logger?.debug(
          { engine: engineId, attempt, delayMs, err: error instanceof Error ? error.message : error },
          `retrying ${callName}`,
        );
      },
      onHalfOpen: () => {
        this.probePending = true;
      },
      onBreakerState: (state) => {
        if (state === 'open') this.openedAt = Date.now();
        this.tracker.breaker(state);
        if (state === 'open') logger?.warn({ engine: engineId }, 'circuit breaker opened');
        else logger?.info({ engine: engineId, state }, `circuit breaker ${state}`);
      },
    });
    const bulkhead = this.policy.bulkhead;
    this.observer?.guardBuilt(engineId, {
      breakerState: () => this.tracker.breakerState,
      bulkhead: () => ({
        active: settings.bulkhead.maxConcurrent - bulkhead.executionSlots,
        queued: settings.bulkhead.queue - bulkhead.queueSlots,
      }),
    });
  }

  /**
   * Unavailable while the breaker is open and its half-open time has not come yet. Once the
   * probe is due, the inner engine's health is reported again: cockatiel only goes half-open
   * when a call arrives, so reporting "open" forever would stop routers from ever probing.
   */
  async health(inner: () => Promise<EngineHealth>): Promise<EngineHealth> {
    if (this.openRemainingMs() > 0) return { available: false, reason: 'circuit breaker open' };
    return inner();
  }

  /** Counters, breaker state/transitions and latency percentiles; plain JSON. */
  stats(): EngineResilienceStatsSnapshot {
    return this.tracker.snapshot();
  }

  /**
   * Runs `work` (given the attempt's signal) under the policy. `audio` says how much audio a
   * result stands for, for the real-time factor and time-to-first-audio metrics.
   */
  run<T>(work: (signal: AbortSignal) => Promise<T>, signal: AbortSignal, audio?: AudioMeasure<T>): Promise<T> {
    return this.execute(
      this.policy.executor,
      (context, call) => this.attempt(work, signal, context, call),
      signal,
      audio,
    );
  }

  /**
   * Runs streamed work under the policy: bulkhead, breaker and retry as run(), but no bound
   * on the whole attempt (a long reply may take minutes); instead `timeout_seconds` bounds
   * every silence — from the start to the first delivery and between deliveries. `work`
   * calls `delivered()` each time it hands output to the caller. Once it has, a failure is
   * not retried (the caller would get the output twice); the breaker still counts it.
   */
  runStreaming<T>(
    work: (signal: AbortSignal, delivered: () => void) => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    return this.execute(
      this.policy.streamExecutor,
      (context, call) => this.streamAttempt(work, signal, context, call),
      signal,
    );
  }

  private async execute<T>(
    executor: EnginePolicy['executor'],
    attempt: (context: AttemptContext, call: { probe: boolean }) => Promise<T>,
    signal: AbortSignal,
    audio?: AudioMeasure<T>,
  ): Promise<T> {
    this.tracker.call();
    this.observer?.callStarted(this.engineId);
    if (signal.aborted) {
      this.tracker.abort();
      throw abortedError(this.engineId);
    }
    const started = performance.now();
    const call = { probe: false };
    try {
      const result = await raceAbort(
        executor.execute((context) => attempt(context, call), signal),
        signal,
        () => abortedError(this.engineId),
      );
      const elapsedMs = performance.now() - started;
      this.tracker.success(elapsedMs);
      if (this.observer) this.observeSuccess(result, elapsedMs / 1000, audio);
      return result;
    } catch (error) {
      throw this.settle(error, signal, performance.now() - started);
    }
  }

  private observeSuccess<T>(result: T, seconds: number, audio: AudioMeasure<T> | undefined): void {
    if (!audio) {
      this.observer?.callSucceeded(this.engineId, seconds);
      return;
    }
    let timeToFirstAudioSeconds: number | undefined;
    const context = audio.producesAudio ? RequestContextStore.current() : undefined;
    if (context && !context.firstAudioObserved) {
      context.firstAudioObserved = true;
      timeToFirstAudioSeconds = Number(process.hrtime.bigint() - context.startedAt) / 1e9;
    }
    this.observer?.callSucceeded(this.engineId, seconds, {
      audioSeconds: audio.audioSeconds(result),
      timeToFirstAudioSeconds,
    });
  }

  /** One attempt: the inner call under the attempt's timeout signal and the caller's signal. */
  private async attempt<T>(
    work: (signal: AbortSignal) => Promise<T>,
    callerSignal: AbortSignal,
    context: AttemptContext,
    call: { probe: boolean },
  ): Promise<T> {
    this.startAttempt(callerSignal, call);
    // cockatiel drops the caller's signal for calls that waited out a half-open probe, so
    // combine both rather than trusting context.signal alone.
    const attemptSignal = AbortSignal.any([context.signal, callerSignal]);
    try {
      return await work(attemptSignal);
    } catch (error) {
      throw this.attemptError(
        error,
        callerSignal,
        context.signal,
        call,
        `timed out after ${this.timeoutLabel}`,
      );
    }
  }

  /** One attempt of streamed work: the idle timer restarts at every delivery. */
  private async streamAttempt<T>(
    work: (signal: AbortSignal, delivered: () => void) => Promise<T>,
    callerSignal: AbortSignal,
    context: AttemptContext,
    call: { probe: boolean },
  ): Promise<T> {
    this.startAttempt(callerSignal, call);
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), this.timeoutMs);
    };
    let hasDelivered = false;
    arm();
    const attemptSignal = AbortSignal.any([context.signal, idle.signal, callerSignal]);
    try {
      return await work(attemptSignal, () => {
        hasDelivered = true;
        arm();
      });
    } catch (error) {
      const failure = this.attemptError(
        error,
        callerSignal,
        idle.signal,
        call,
        `sent nothing for ${this.timeoutLabel}`,
      );
      throw hasDelivered && failure instanceof EngineError ? new DeliveredStreamError(failure) : failure;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs synchronously right after the breaker's onHalfOpen, so the call is then the probe. */
  private startAttempt(callerSignal: AbortSignal, call: { probe: boolean }): void {
    if (this.probePending) {
      this.probePending = false;
      call.probe = true;
    }
    if (callerSignal.aborted) throw this.callerAbort(call);
  }

  /** What an attempt's failure becomes: the caller's abort, a transient timeout, or an EngineError. */
  private attemptError(
    error: unknown,
    callerSignal: AbortSignal,
    timeoutSignal: AbortSignal,
    call: { probe: boolean },
    timeoutMessage: string,
  ): Error {
    if (callerSignal.aborted) return this.callerAbort(call);
    if (timeoutSignal.aborted) {
      this.tracker.timeout();
      return new EngineError('transient', timeoutMessage, this.engineId, { cause: error });
    }
    if (error instanceof EngineError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new EngineError('failed', message, this.engineId, { cause: error });
  }

  private callerAbort(call: { probe: boolean }): Error {
    const aborted = abortedError(this.engineId);
    return call.probe ? new ProbeAbortedError(aborted) : aborted;
  }

  /** Maps whatever the policy threw to an EngineError and records the outcome. */
  private settle(thrown: unknown, signal: AbortSignal, latencyMs: number): EngineError {
    const error = thrown instanceof DeliveredStreamError ? thrown.error : thrown;
    if (error instanceof BrokenCircuitError) {
      this.tracker.rejected('circuit_open');
      this.observer?.callRejected(this.engineId, 'circuit_open');
      return new CircuitOpenError(this.engineId, Math.max(1, Math.ceil(this.openRemainingMs() / 1000)), {
        cause: error,
      });
    }
    if (error instanceof BulkheadRejectedError) {
      this.tracker.rejected('bulkhead_full');
      this.observer?.callRejected(this.engineId, 'bulkhead_full');
      const p50 = this.tracker.snapshot().latency.p50 ?? 1000;
      return new EngineBusyError(this.engineId, Math.max(1, Math.ceil(p50 / 1000)), { cause: error });
    }
    if (error instanceof ProbeAbortedError) {
      this.tracker.abort();
      return error.abort;
    }
    if (error instanceof TaskCancelledError || (signal.aborted && isAborted(error))) {
      this.tracker.abort();
      return error instanceof EngineError ? error : abortedError(this.engineId);
    }
    if (signal.aborted) {
      this.tracker.abort();
      return abortedError(this.engineId);
    }
    this.tracker.failure(latencyMs);
    this.observer?.callFailed(this.engineId, latencyMs / 1000);
    if (error instanceof EngineError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new EngineError('failed', message, this.engineId, { cause: error });
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
