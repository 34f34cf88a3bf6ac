import { samplesFromPcm } from './pcm.js';

/** A piece of a longer recording: its samples and where it starts in it. */
export interface PcmSegment {
  samples: Int16Array;
  /** Index of the segment's first sample in the whole recording. */
  startSample: number;
}

export interface SegmenterOptions {
  sampleRate: number;
  /** No segment is longer than this. */
  maxSeconds: number;
  /**
   * The cut is placed at the quietest point of the last this-many seconds before the limit.
   * Default: 3 s, or a quarter of maxSeconds when that is shorter.
   */
  searchSeconds?: number;
  /** Length of the energy window compared when looking for the quiet point. Default 50 ms. */
  windowSeconds?: number;
}

/**
 * Cuts a stream of mono PCM into segments of at most `maxSeconds`, each cut at the
 * lowest-energy short window within the last few seconds before the limit, so that a cut
 * falls in a pause rather than in a word. Holds at most one segment of samples: a full
 * buffer is handed out as a segment (up to the cut) and only the remainder is kept.
 */
export class QuietPointSegmenter {
  private readonly maxSamples: number;
  private readonly searchSamples: number;
  private readonly windowSamples: number;
  private buffer: Int16Array;
  private filled = 0;
  /** Index of buffer[0] in the whole recording. */
  private start = 0;

  constructor(options: SegmenterOptions) {
    const { sampleRate, maxSeconds } = options;
    if (!(sampleRate > 0) || !(maxSeconds > 0)) throw new RangeError('sampleRate and maxSeconds must be > 0');
    this.maxSamples = Math.max(2, Math.floor(sampleRate * maxSeconds));
    const searchSeconds = options.searchSeconds ?? Math.min(3, maxSeconds / 4);
    this.searchSamples = clamp(Math.floor(sampleRate * searchSeconds), 1, this.maxSamples - 1);
    const windowSeconds = options.windowSeconds ?? 0.05;
    this.windowSamples = clamp(Math.floor(sampleRate * windowSeconds), 1, this.searchSamples);
    this.buffer = new Int16Array(this.maxSamples);
  }

  /** Samples received so far (cut into segments or still buffered). */
  get receivedSamples(): number {
    return this.start + this.filled;
  }

  /** Takes more samples; yields each segment completed by them (lazily: one at a time). */
  *push(samples: Int16Array): Generator<PcmSegment> {
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(samples.length - offset, this.maxSamples - this.filled);
      this.buffer.set(samples.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.maxSamples) yield this.cut(this.quietPoint());
    }
  }

  /** What is left after the last push, as the final segment (none when nothing is left). */
  finish(): PcmSegment | undefined {
    if (this.filled === 0) return undefined;
    return this.cut(this.filled);
  }

  /** Hands out buffer[0, at) and keeps the rest in a fresh buffer. */
  private cut(at: number): PcmSegment {
    const segment = { samples: this.buffer.subarray(0, at), startSample: this.start };
    const next = new Int16Array(this.maxSamples);
    next.set(this.buffer.subarray(at, this.filled));
    this.buffer = next;
    this.filled -= at;
    this.start += at;
    return segment;
  }

  /**
   * The middle of the lowest-energy window in the search region at the end of the full
   * buffer (the latest such window on a tie: segments stay as long as allowed).
   */
  private quietPoint(): number {
    const window = this.windowSamples;
    const from = this.maxSamples - this.searchSamples;
    let energy = 0;
    for (let i = from; i < from + window; i++) energy += this.buffer[i] * this.buffer[i];
    let best = energy;
    let bestStart = from;
    for (let start = from + 1; start + window <= this.maxSamples; start++) {
      const leaving = this.buffer[start - 1];
      const entering = this.buffer[start + window - 1];
      energy += entering * entering - leaving * leaving;
      if (energy <= best) {
        best = energy;
        bestStart = start;
      }
    }
    return Math.max(1, bestStart + Math.floor(window / 2));
  }
}

/**
 * Segments of a stream of s16le bytes (as ffmpeg writes them, in chunks of any length,
 * a sample possibly split across two): see QuietPointSegmenter.
 */
export async function* segmentPcmStream(
  bytes: AsyncIterable<Uint8Array>,
  options: SegmenterOptions,
): AsyncGenerator<PcmSegment> {
  const segmenter = new QuietPointSegmenter(options);
  let carry: Uint8Array | undefined;
  for await (const chunk of bytes) {
    let data = chunk;
    if (carry) {
      data = new Uint8Array(carry.length + chunk.length);
      data.set(carry);
      data.set(chunk, carry.length);
      carry = undefined;
    }
    if (data.length & 1) carry = data.slice(data.length - 1);
    yield* segmenter.push(samplesFromPcm(data));
  }
  const last = segmenter.finish();
  if (last) yield last;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
