/** Mono 16-bit PCM with its sample rate: what every engine returns and the audio module consumes. */
export interface AudioClip {
  samples: Int16Array;
  sampleRate: number;
  /** Word start/end times in seconds from the start of this clip, when the engine reports them. */
  words?: WordTiming[];
}

export interface WordTiming {
  word: string;
  start: number;
  end: number;
}

/**
 * The audio module's resampler (ffmpeg), given to engines in EngineContext: an engine whose
 * voices have different rates returns every clip at capabilities().sampleRate with it.
 * Word timings (in seconds) are kept.
 */
export type ClipResampler = (clip: AudioClip, sampleRate: number, signal?: AbortSignal) => Promise<AudioClip>;

export function clipDurationSeconds(clip: AudioClip): number {
  return clip.samples.length / clip.sampleRate;
}
