import { type AudioClip, clipDurationSeconds } from '../ports/audio-clip.js';
import type { EngineHealth, EngineVoice } from '../ports/engine-health.js';
import type { SynthesisRequest, TtsCapabilities, TtsEngine } from '../ports/tts-engine.js';
import { EngineCallGuard, type EngineCallGuardOptions } from './engine-call-guard.js';
import type { EngineResilienceStatsSnapshot } from './engine-resilience-stats.js';
import type { ResilienceSettings } from './resilience-policy.factory.js';

export { CircuitOpenError, EngineBusyError } from './resilience-errors.js';

export type ResilientTtsEngineOptions = Omit<EngineCallGuardOptions, 'callName'>;

/**
 * A TtsEngine decorator that runs synthesize() through the engine's EngineCallGuard
 * (bulkhead → breaker → retry → timeout, with stats). Everything else passes through.
 */
export class ResilientTtsEngine implements TtsEngine {
  readonly id: string;
  readonly type: string;
  private readonly guard: EngineCallGuard;

  constructor(
    readonly inner: TtsEngine,
    settings: ResilienceSettings,
    options: ResilientTtsEngineOptions = {},
  ) {
    this.id = inner.id;
    this.type = inner.type;
    this.guard = new EngineCallGuard(inner.id, settings, { ...options, callName: 'synthesis' });
  }

  capabilities(): TtsCapabilities {
    return this.inner.capabilities();
  }

  listVoices(signal?: AbortSignal): Promise<EngineVoice[]> {
    return this.inner.listVoices(signal);
  }

  health(): Promise<EngineHealth> {
    return this.guard.health(() => this.inner.health());
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }

  stats(): EngineResilienceStatsSnapshot {
    return this.guard.stats();
  }

  synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<AudioClip> {
    return this.guard.run((attemptSignal) => this.inner.synthesize(request, attemptSignal), signal, {
      audioSeconds: clipDurationSeconds,
      producesAudio: true,
    });
  }
}
