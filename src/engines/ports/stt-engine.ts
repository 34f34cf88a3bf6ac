import type { EngineHealth } from './engine-health.js';

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
  /** The rate (mono 16-bit) the engine wants; the audio module resamples to it. */
  sampleRate: number;
  languages: readonly string[];
  wordTimestamps: boolean;
  /**
   * The request options the engine honours: `prompt` (free-text context, Whisper-style),
   * `temperature`, `grammar` (JSGF) and `vocabulary` (recognition limited to these words).
   * Others a client sends are ignored and reported back (X-Ignored-Params).
   */
  supportedParams: readonly SttParam[];
}

export type SttParam = 'prompt' | 'temperature' | 'grammar' | 'vocabulary';

export interface TranscribeOptions {
  language?: string;
  prompt?: string;
  temperature?: number;
  /** A JSGF grammar (text); only what it allows can be recognised. */
  grammar?: string;
  /** Words or phrases; recognition is limited to sequences of them. */
  vocabulary?: readonly string[];
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
