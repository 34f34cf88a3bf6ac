import type { AudioClip, WordTiming } from '../engines/ports/audio-clip.js';
import { AudioFormatError } from './audio-error.js';
import { type LoudnessOptions, normalizeSamples, toInt16 } from './loudness.js';

export { normalizeLoudness, speechLevelDbfs, type LoudnessOptions } from './loudness.js';

export interface JoinOptions {
  /** Silence between chunks, ms. Default 120: a sentence break, whatever silence each engine left at its edges. */
  pauseMs?: number;
  /**
   * Fade at every cut, ms (default 8). It takes a cut sample smoothly to zero, so no
   * chunk starts or ends with a click. With pauseMs 0, neighbouring chunks overlap by
   * this much and cross-fade instead.
   */
  crossfadeMs?: number;
  /** Bring every chunk to one speech level (default true); see LoudnessOptions. */
  normalize?: boolean;
  loudness?: LoudnessOptions;
}

/** A chunk whose peak is below this (about -60 dBFS) holds no speech and is dropped whole. */
const SILENCE_PEAK = 32;
/** Edge samples more than 40 dB below the chunk's peak count as silence to trim. */
const TRIM_RELATIVE = 0.01;
/** Kept around the first and last audible sample: a soft onset (an "h", an "f") starts below the threshold. */
const TRIM_MARGIN_MS = 15;
const DEFAULT_PAUSE_MS = 120;
const DEFAULT_FADE_MS = 8;

interface PreparedChunk {
  samples: Float32Array;
  /** Where `samples` starts in the original clip, in samples (what trimming removed). */
  trimmedFrom: number;
  fade: number;
  words: WordTiming[];
}

const msToSamples = (ms: number, sampleRate: number): number =>
  Math.max(0, Math.round((ms * sampleRate) / 1000));

/** [start, end) of the chunk without its leading and trailing near-silence; empty when the chunk is silent. */
function audibleRange(samples: Int16Array, sampleRate: number): [number, number] {
  let peak = 0;
  for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
  if (peak < SILENCE_PEAK) return [0, 0];
  const threshold = peak * TRIM_RELATIVE;
  let first = 0;
  while (Math.abs(samples[first]) <= threshold) first++;
  let last = samples.length - 1;
  while (Math.abs(samples[last]) <= threshold) last--;
  const margin = msToSamples(TRIM_MARGIN_MS, sampleRate);
  return [Math.max(0, first - margin), Math.min(samples.length, last + 1 + margin)];
}

/** Raised-cosine fades over `length` samples at both ends, in place (the fade-in and fade-out of two neighbours sum to 1). */
function fadeEdges(samples: Float32Array, length: number): void {
  for (let i = 0; i < length; i++) {
    const gain = 0.5 * (1 - Math.cos((Math.PI * (i + 0.5)) / length));
    samples[i] = samples[i] * gain;
    samples[samples.length - 1 - i] = samples[samples.length - 1 - i] * gain;
  }
}

/** Trimmed, levelled and faded; still float so the join rounds once. */
function prepare(clip: AudioClip, options: JoinOptions): PreparedChunk {
  const [start, end] = audibleRange(clip.samples, clip.sampleRate);
  let samples: Float32Array = Float32Array.from(clip.samples.subarray(start, end));
  if (options.normalize ?? true) samples = normalizeSamples(samples, clip.sampleRate, options.loudness);
  const fade = Math.min(
    msToSamples(options.crossfadeMs ?? DEFAULT_FADE_MS, clip.sampleRate),
    samples.length >> 1,
  );
  fadeEdges(samples, fade);
  return { samples, trimmedFrom: start, fade, words: clip.words ?? [] };
}

const roundTime = (seconds: number): number => Math.round(seconds * 1e6) / 1e6;

/** Word timings moved to where the chunk's audio now sits, kept inside the chunk. */
function placeWords(chunk: PreparedChunk, at: number, sampleRate: number): WordTiming[] {
  const shift = (at - chunk.trimmedFrom) / sampleRate;
  const from = at / sampleRate;
  const to = (at + chunk.samples.length) / sampleRate;
  const place = (t: number): number => roundTime(Math.min(to, Math.max(from, t + shift)));
  return chunk.words.map((word) => ({ ...word, start: place(word.start), end: place(word.end) }));
}

function checkRates(clips: readonly AudioClip[]): number {
  const rate = clips[0]?.sampleRate;
  if (rate === undefined) throw new AudioFormatError('There are no clips to join.');
  const other = clips.find((clip) => clip.sampleRate !== rate);
  if (other)
    throw new AudioFormatError(
      `Clips to join must share one sample rate (${rate} Hz and ${other.sampleRate} Hz).`,
    );
  return rate;
}

/**
 * One seamless clip from the per-chunk clips of one engine: each chunk trimmed of the
 * silence the engine left at its edges, levelled to one loudness (chunks synthesised
 * separately often differ by several dB), faded at its cuts, then laid out with one
 * consistent pause between chunks; word timings follow their audio.
 */
export function joinClips(clips: readonly AudioClip[], options: JoinOptions = {}): AudioClip {
  const sampleRate = checkRates(clips);
  const pause = msToSamples(options.pauseMs ?? DEFAULT_PAUSE_MS, sampleRate);
  const chunks = clips
    .map((clip) => prepare(clip, options))
    .filter((chunk) => chunk.samples.length > 0 || chunk.words.length > 0);
  const positions: number[] = [];
  let end = 0;
  chunks.forEach((chunk, index) => {
    const previous = chunks[index - 1];
    // Without a pause the neighbours overlap by their fades and cross-fade.
    const overlap = previous && pause === 0 ? Math.min(previous.fade, chunk.fade) : 0;
    const at = end === 0 || chunk.samples.length === 0 ? end : end + pause - overlap;
    positions.push(at);
    end = Math.max(end, at + chunk.samples.length);
  });
  const mixed = new Float32Array(end);
  chunks.forEach((chunk, index) => {
    const at = positions[index];
    for (let i = 0; i < chunk.samples.length; i++) mixed[at + i] = mixed[at + i] + chunk.samples[i];
  });
  const words = chunks.flatMap((chunk, index) => placeWords(chunk, positions[index], sampleRate));
  return { samples: toInt16(mixed), sampleRate, ...(words.length > 0 ? { words } : {}) };
}

/**
 * One chunk of a stream, prepared as joinClips would place it: trimmed, levelled to the
 * same target as every other chunk, faded, and (unless it is the first) preceded by the
 * pause. Played back to back, prepared chunks sound like the joined clip; the one
 * difference is pauseMs 0, where a stream cannot cross-fade into audio it has already
 * sent, so the chunks meet at silence instead.
 */
export function prepareStreamChunk(clip: AudioClip, options: JoinOptions & { first: boolean }): AudioClip {
  const chunk = prepare(clip, options);
  const lead =
    options.first || chunk.samples.length === 0
      ? 0
      : msToSamples(options.pauseMs ?? DEFAULT_PAUSE_MS, clip.sampleRate);
  const samples = new Float32Array(lead + chunk.samples.length);
  samples.set(chunk.samples, lead);
  const words = placeWords(chunk, lead, clip.sampleRate);
  return { samples: toInt16(samples), sampleRate: clip.sampleRate, ...(words.length > 0 ? { words } : {}) };
}
