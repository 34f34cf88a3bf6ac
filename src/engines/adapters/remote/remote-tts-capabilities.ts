import type { TtsCapabilities, TtsParam } from '../../ports/tts-engine.js';

/** What a non-streaming remote TTS engine can do: whole clips, no word timings, no cloning. */
export function remoteTtsCapabilities(
  supportedParams: readonly TtsParam[],
  sampleRate: number,
): TtsCapabilities {
  return {
    streaming: false,
    wordTimestamps: false,
    cloning: false,
    supportedParams,
    sampleRate,
  };
}
