import type { AudioClip } from './audio-clip.js';
import type { EngineHealth, EngineVoice } from './engine-health.js';

/** Request parameters an engine may honour; the rest are ignored and reported to the client. */
export type TtsParam = 'speed' | 'pitch' | 'emotion' | 'temperature' | 'exaggeration' | 'cfg_weight' | 'ssml';

export interface TtsCapabilities {
  /** Can emit audio before the whole text is synthesised. */
  streaming: boolean;
  wordTimestamps: boolean;
  cloning: boolean;
  supportedParams: readonly TtsParam[];
  /** The rate synthesize() returns. */
  sampleRate: number;
  /**
   * The clips are finished audio (another speech-gateway's answer: already trimmed and
   * levelled), so an answer made in one call is encoded as it came, byte for byte.
   */
  finalAudio?: boolean;
}

export interface SynthesisRequest {
  text: string;
  /** The engine's own voice id. */
  voiceId: string;
  /** 1.0 = the voice's normal rate; 0.25–4. */
  speed?: number;
  /** 1.0 = the voice's normal pitch; 0.5–2. */
  pitch?: number;
  /** `text` is SSML. */
  ssml?: boolean;
  emotion?: string;
  temperature?: number;
  exaggeration?: number;
  cfgWeight?: number;
  /** Ask for word timings (engines that cannot ignore it). */
  wordTimestamps?: boolean;
  /**
   * Audio past this many seconds is not wanted (the gateway refuses or cuts it): an engine
   * that can may stop once its clip is longer and return what it made. Ignored by the rest.
   */
  maxSeconds?: number;
}

/**
 * The port every text-to-speech adapter implements. Adapters return PCM; the audio module
 * does every encoding. Every call takes an AbortSignal: when the client goes away the
 * work stops.
 */
export interface TtsEngine {
  readonly id: string;
  readonly type: string;
  capabilities(): TtsCapabilities;
  listVoices(signal?: AbortSignal): Promise<EngineVoice[]>;
  synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<AudioClip>;
  health(): Promise<EngineHealth>;
  /** Releases workers, processes or sockets; called when config replaces or removes the engine. */
  dispose(): Promise<void>;
}
