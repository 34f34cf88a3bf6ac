import { AudioTranscoder } from '../audio/audio-transcoder.js';
import type { ClipResampler } from './ports/audio-clip.js';

/** The transcoder's resample() as the ClipResampler engines get in their context. */
export function resamplerOf(transcoder: AudioTranscoder): ClipResampler {
  return (clip, sampleRate, signal) => transcoder.resample(clip, sampleRate, signal);
}

let shared: Promise<AudioTranscoder> | undefined;

/**
 * A resampler on a transcoder made on first use, for registries and specs built without
 * the app's AudioTranscoder (the app's registries are given that one).
 */
export const lazyResampler: ClipResampler = async (clip, sampleRate, signal) => {
  shared ??= AudioTranscoder.create();
  return (await shared).resample(clip, sampleRate, signal);
};
