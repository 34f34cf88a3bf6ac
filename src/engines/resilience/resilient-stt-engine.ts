import type { EngineHealth } from '../ports/engine-health.js';
import type {
  SttAudio,
  SttCapabilities,
  SttEngine,
  TranscribeOptions,
  Transcript,
} from '../ports/stt-engine.js';
import { EngineCallGuard, type EngineCallGuardOptions } from './engine-call-guard.js';
import type { EngineResilienceStatsSnapshot } from './engine-resilience-stats.js';
import type { ResilienceSettings } from './resilience-policy.factory.js';

/**
 * An SttEngine decorator that runs transcribe() through the engine's EngineCallGuard
 * (bulkhead → breaker → retry → timeout, with stats). Everything else passes through.
 */
export class ResilientSttEngine implements SttEngine {
  readonly id: string;
  readonly type: string;
  private readonly guard: EngineCallGuard;

  constructor(
    readonly inner: SttEngine,
    settings: ResilienceSettings,
    options: Omit<EngineCallGuardOptions, 'callName'> = {},
  ) {
    this.id = inner.id;
    this.type = inner.type;
    this.guard = new EngineCallGuard(inner.id, settings, { ...options, callName: 'transcription' });
  }

  capabilities(): SttCapabilities {
    return this.inner.capabilities();
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

  transcribe(audio: SttAudio, options: TranscribeOptions, signal: AbortSignal): Promise<Transcript> {
    const audioSeconds = audio.samples.length / audio.sampleRate;
    return this.guard.run((attemptSignal) => this.inner.transcribe(audio, options, attemptSignal), signal, {
      audioSeconds: () => audioSeconds,
      producesAudio: false,
    });
  }
}
