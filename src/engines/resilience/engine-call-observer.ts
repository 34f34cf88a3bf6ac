import type { BreakerState } from './engine-resilience-stats.js';

/** What an engine's guard can say about itself when asked (read at scrape time, never per call). */
export interface EngineGuardProbe {
  breakerState(): BreakerState;
  /** Engine calls running and waiting in the bulkhead's queue. */
  bulkhead(): { active: number; queued: number };
}

/** Why a call never reached the engine. */
export type EngineRejection = 'circuit_open' | 'bulkhead_full';

/**
 * Receives the outcome of every engine call made through an EngineCallGuard (all kinds:
 * TTS, STT, chat), so metrics need no hook in any adapter. Implementations must be cheap:
 * they run on the request path.
 */
export interface EngineCallObserver {
  /** A guard was built for this engine (a rebuild or reset replaces the previous one). */
  guardBuilt(engineId: string, probe: EngineGuardProbe): void;
  callStarted(engineId: string): void;
  /**
   * A call succeeded after `seconds`. `audioSeconds`: the audio it produced or consumed,
   * when it handles audio; `timeToFirstAudioSeconds`: for the first audio a request got
   * from any engine, the time since the request started.
   */
  callSucceeded(
    engineId: string,
    seconds: number,
    audio?: { audioSeconds: number; timeToFirstAudioSeconds?: number },
  ): void;
  /** A call ended in an engine error (after retries; not rejections or caller aborts). */
  callFailed(engineId: string, seconds: number): void;
  callRejected(engineId: string, reason: EngineRejection): void;
}

/** How a guarded call measures its audio, for the real-time factor and time to first audio. */
export interface AudioMeasure<T> {
  audioSeconds(result: T): number;
  /** The call produces audio a client will hear (TTS): it counts for time to first audio. */
  producesAudio: boolean;
}
