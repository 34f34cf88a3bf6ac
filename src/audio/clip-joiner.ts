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
 * joinClips one clip at a time: each push() answers the joined audio that follows what
 * earlier pushes answered, finish() the rest. Played back to back, the pieces are exactly
 * (sample for sample) the clip joinClips makes of the same clips, so long audio can be
 * written or sent as it is made while memory holds one chunk. With pauseMs 0 the last
 * fade of each chunk is held back until the next one cross-fades into it.
 */
export class ClipJoiner {
  private sampleRate?: number;
  /** End of the joined audio so far (joinClips' `end`), in samples. */
  private end = 0;
  /** Samples already answered. */
  private emitted = 0;
  /** Mixed samples from `emitted` to `end`, held back for a cross-fade. */
  private pending = new Float32Array(0);
  private previousFade?: number;
  private readonly pauseMs: number;
  /** Word timings of everything pushed, placed in the joined audio (as joinClips places them). */
  readonly words: WordTiming[] = [];

  constructor(private readonly options: JoinOptions = {}) {
    this.pauseMs = options.pauseMs ?? DEFAULT_PAUSE_MS;
  }

  /** Samples answered so far, as seconds; after finish(), the joined clip's length. */
  get durationSeconds(): number {
    return this.sampleRate === undefined ? 0 : this.emitted / this.sampleRate;
  }

  push(clip: AudioClip): AudioClip {
    const sampleRate = (this.sampleRate ??= clip.sampleRate);
    if (clip.sampleRate !== sampleRate) {
      throw new AudioFormatError(
        `Clips to join must share one sample rate (${sampleRate} Hz and ${clip.sampleRate} Hz).`,
      );
    }
    const chunk = prepare(clip, this.options);
    if (chunk.samples.length === 0 && chunk.words.length === 0) return this.take(0, sampleRate);
    const pause = msToSamples(this.pauseMs, sampleRate);
    const overlap =
      this.previousFade !== undefined && pause === 0 ? Math.min(this.previousFade, chunk.fade) : 0;
    const at = this.end === 0 || chunk.samples.length === 0 ? this.end : this.end + pause - overlap;
    const newEnd = Math.max(this.end, at + chunk.samples.length);
    const mixed = new Float32Array(newEnd - this.emitted);
    mixed.set(this.pending);
    const offset = at - this.emitted;
    for (let i = 0; i < chunk.samples.length; i++) mixed[offset + i] = mixed[offset + i] + chunk.samples[i];
    this.pending = mixed;
    this.end = newEnd;
    this.previousFade = chunk.fade;
    for (const word of placeWords(chunk, at, sampleRate)) this.words.push(word);
    // Without a pause the next chunk may cross-fade into this one's last fade: keep it back.
    const holdBack = pause === 0 ? chunk.fade : 0;
    return this.take(Math.max(0, this.end - this.emitted - holdBack), sampleRate);
  }

  /** What push() held back (only with pauseMs 0); nothing more may be pushed after it. */
  finish(): AudioClip {
    return this.take(this.end - this.emitted, this.sampleRate ?? 1);
  }

  /** The next `count` pending samples, rounded once (word timings are in `words`). */
  private take(count: number, sampleRate: number): AudioClip {
    const samples = toInt16(this.pending.subarray(0, count));
    this.pending = this.pending.slice(count);
    this.emitted += count;
    return { samples, sampleRate };
  }
}

/**
 * One seamless clip from the per-chunk clips of one engine: each chunk trimmed of the
 * silence the engine left at its edges, levelled to one loudness (chunks synthesised
 * separately often differ by several dB), faded at its cuts, then laid out with one
 * consistent pause between chunks; word timings follow their audio.
 */
export function joinClips(clips: readonly AudioClip[], options: JoinOptions = {}): AudioClip {
  const sampleRate = checkRates(clips);
  const joiner = new ClipJoiner(options);
  const pieces = clips.map((clip) => joiner.push(clip).samples);
  pieces.push(joiner.finish().samples);
  const samples = new Int16Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of pieces) {
    samples.set(piece, at);
    at += piece.length;
  }
  return { samples, sampleRate, ...(joiner.words.length > 0 ? { words: joiner.words } : {}) };
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
