import type { AudioClip } from '../engines/ports/audio-clip.js';

export interface LoudnessOptions {
  /** Speech level to reach, dBFS (gated RMS, see speechLevelDbfs). Default -20, a usual level for spoken audio. */
  targetDbfs?: number;
  /** No sample goes above this, dBFS; peaks are limited, not clipped. Default -1 (headroom for lossy encoders). */
  ceilingDbfs?: number;
  /** The most a quiet clip is raised, dB, so a near-silent chunk is not pumped up into hiss. Default 30. */
  maxGainDb?: number;
}

const FULL_SCALE = 32768;
const FRAME_MS = 20;
/** Frames below this are silence and do not count (EBU R128 uses the same absolute gate). */
const ABSOLUTE_GATE_DBFS = -70;
/** Frames this far below the first mean are pauses between words and do not count either. */
const RELATIVE_GATE_DB = -20;
/** Half-width of the limiter's window: gain changes ramp over about twice this, fast enough to catch a peak, slow enough not to buzz. */
const LIMITER_HALF_WINDOW_MS = 3;

const dbToPower = (db: number): number => 10 ** (db / 10);
const dbToAmplitude = (db: number): number => 10 ** (db / 20);

/**
 * How loud the speech is, dBFS: mean power over 20 ms frames, with silent frames and
 * pauses gated out, so a sentence with long pauses measures like one without (plain RMS
 * would call it quieter and normalisation would then make it louder). -Infinity for silence.
 */
export function speechLevelDbfs(samples: ArrayLike<number>, sampleRate: number): number {
  const frame = Math.max(1, Math.round((sampleRate * FRAME_MS) / 1000));
  const powers: number[] = [];
  for (let start = 0; start < samples.length; start += frame) {
    const end = Math.min(samples.length, start + frame);
    let sum = 0;
    for (let i = start; i < end; i++) sum += (samples[i] / FULL_SCALE) ** 2;
    powers.push(sum / (end - start));
  }
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const audible = powers.filter((p) => p > dbToPower(ABSOLUTE_GATE_DBFS));
  if (audible.length === 0) return -Infinity;
  const threshold = mean(audible) * dbToPower(RELATIVE_GATE_DB);
  return 10 * Math.log10(mean(audible.filter((p) => p >= threshold)));
}

/** The minimum of `values` over [i - radius, i + radius] for every i, in linear time (monotonic deque). */
function movingMin(values: Float32Array, radius: number): Float32Array {
  const out = new Float32Array(values.length);
  const deque = new Int32Array(values.length);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < values.length + radius; i++) {
    if (i < values.length) {
      while (tail > head && values[deque[tail - 1]] >= values[i]) tail--;
      deque[tail++] = i;
    }
    const centre = i - radius;
    if (centre < 0) continue;
    while (deque[head] < centre - radius) head++;
    out[centre] = values[deque[head]]!;
  }
  return out;
}

/**
 * Look-ahead peak limiter, in place: every sample ends at or below `ceiling` with gain
 * changes smoothed over a few milliseconds. The gain is the moving minimum of the needed
 * reduction, then a moving average over the same radius; each averaged value is a
 * minimum over a window that contains the sample, so no sample can exceed the ceiling.
 */
export function limitPeaks(values: Float32Array, ceiling: number, sampleRate: number): void {
  const needed = new Float32Array(values.length);
  let over = false;
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i]);
    needed[i] = magnitude > ceiling ? ceiling / magnitude : 1;
    if (magnitude > ceiling) over = true;
  }
  if (!over) return;
  const radius = Math.max(1, Math.round((sampleRate * LIMITER_HALF_WINDOW_MS) / 1000));
  const floor = movingMin(needed, radius);
  let sum = 0;
  let count = 0;
  // Running sum over [i - radius, i + radius], clipped to the array.
  for (let i = 0; i < Math.min(radius, values.length); i++) {
    sum += floor[i];
    count++;
  }
  for (let i = 0; i < values.length; i++) {
    const entering = i + radius;
    if (entering < values.length) {
      sum += floor[entering];
      count++;
    }
    const leaving = i - radius - 1;
    if (leaving >= 0) {
      sum -= floor[leaving];
      count--;
    }
    values[i] = values[i] * Math.min(1, sum / count);
  }
}

/**
 * The gain that brings `samples` to the target level (capped by maxGainDb), applied, and
 * peaks limited to the ceiling. Float in, float out (int16 scale): callers that chain
 * further processing round only once.
 */
export function normalizeSamples(
  samples: Float32Array,
  sampleRate: number,
  options: LoudnessOptions = {},
): Float32Array {
  const level = speechLevelDbfs(samples, sampleRate);
  if (level === -Infinity) return samples;
  const gainDb = Math.min((options.targetDbfs ?? -20) - level, options.maxGainDb ?? 30);
  const gain = dbToAmplitude(gainDb);
  for (let i = 0; i < samples.length; i++) samples[i] = samples[i] * gain;
  limitPeaks(samples, dbToAmplitude(options.ceilingDbfs ?? -1) * FULL_SCALE, sampleRate);
  return samples;
}

/** Float (int16 scale) to Int16, rounded and clamped. */
export function toInt16(values: Float32Array): Int16Array {
  const out = new Int16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(values[i])));
  return out;
}

/** The clip at one speech level: every chunk of a stream normalised to the same target sounds equally loud. */
export function normalizeLoudness(clip: AudioClip, options: LoudnessOptions = {}): AudioClip {
  const normalized = normalizeSamples(Float32Array.from(clip.samples), clip.sampleRate, options);
  return { ...clip, samples: toInt16(normalized) };
}
