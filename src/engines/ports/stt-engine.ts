import type { EngineHealth, EngineKind } from './engine-health.js';

/** A word or segment with its place in the audio, in seconds. */
export interface TimedText {
  text: string;
  start: number;
  end: number;
}

export interface Transcript {
  text: string;
  language?: string;
  durationSeconds: number;
  segments: TimedText[];
  /** Present when the engine reports word timings. */
  words?: TimedText[];
}

export interface SttCapabilities {
  kind: EngineKind;
  /** The rate (mono 16-bit) the engine wants; the audio module resamples to it. */
  sampleRate: number;
  languages: readonly string[];
  wordTimestamps: boolean;
  /** Accepts a vocabulary prompt or a grammar to constrain recognition. */
  prompts: boolean;
}

export interface TranscribeOptions {
  language?: string;
  prompt?: string;
  temperature?: number;
}

/** Mono 16-bit PCM at the engine's `capabilities().sampleRate`. */
export interface SttAudio {
  samples: Int16Array;
  sampleRate: number;
}

/** The port every speech-to-text adapter implements (same rules as TtsEngine). */
export interface SttEngine {
  readonly id: string;
  readonly type: string;
  capabilities(): SttCapabilities;
  transcribe(audio: SttAudio, options: TranscribeOptions, signal: AbortSignal): Promise<Transcript>;
  health(): Promise<EngineHealth>;
  dispose(): Promise<void>;
}
