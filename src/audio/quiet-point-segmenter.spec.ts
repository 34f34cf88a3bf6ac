import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pcmBytes } from './pcm.js';
import { type PcmSegment, QuietPointSegmenter, segmentPcmStream } from './quiet-point-segmenter.js';
import { toneWithNoise } from './testing/synthetic.js';

const RATE = 8000;

/** Loud noisy tone with digital-silence gaps at the given [start, end) second ranges. */
function speechWithGaps(seconds: number, gaps: Array<[number, number]>): Int16Array {
  const samples = toneWithNoise(seconds, RATE, { amplitude: 0.4, noise: 0.2, seed: 3 }).samples;
  for (const [from, to] of gaps) samples.fill(0, Math.round(from * RATE), Math.round(to * RATE));
  return samples;
}

function collect(segmenter: QuietPointSegmenter, samples: Int16Array, chunk: number): PcmSegment[] {
  const segments: PcmSegment[] = [];
  for (let at = 0; at < samples.length; at += chunk) {
    for (const segment of segmenter.push(samples.subarray(at, at + chunk))) {
      // Segments are handed out lazily; copy, as the caller would transcribe it before the next.
      segments.push({ samples: segment.samples.slice(), startSample: segment.startSample });
    }
  }
  const last = segmenter.finish();
  if (last) segments.push(last);
  return segments;
}

function assertCovers(segments: PcmSegment[], samples: Int16Array): void {
  let expected = 0;
  for (const segment of segments) {
    assert.equal(segment.startSample, expected, 'segments follow each other without gap or overlap');
    assert.deepEqual(segment.samples, samples.subarray(expected, expected + segment.samples.length));
    expected += segment.samples.length;
  }
  assert.equal(expected, samples.length, 'every sample is in a segment');
}

describe('QuietPointSegmenter', () => {
  it('cuts in the silence gap before the limit, never past it', () => {
    // Limit 4 s, search the last 1 s: gaps at 3.3–3.5 s, then 6.8–7.0 s (3.3 s after the first cut).
    const samples = speechWithGaps(10, [
      [3.3, 3.5],
      [6.8, 7.0],
    ]);
    const segments = collect(
      new QuietPointSegmenter({ sampleRate: RATE, maxSeconds: 4, searchSeconds: 1 }),
      samples,
      1234,
    );
    assertCovers(segments, samples);
    const cuts = segments.slice(1).map((segment) => segment.startSample / RATE);
    assert.ok(cuts[0] > 3.3 && cuts[0] < 3.5, `first cut at ${cuts[0]} s, in the 3.3–3.5 s gap`);
    assert.ok(cuts[1] > 6.8 && cuts[1] < 7.0, `second cut at ${cuts[1]} s, in the 6.8–7.0 s gap`);
    for (const segment of segments) assert.ok(segment.samples.length <= 4 * RATE, 'no segment over 4 s');
  });

  it('cuts at the limit when the search window holds no pause, still never over it', () => {
    const samples = speechWithGaps(9, [[1, 1.2]]); // the only gap is outside the search windows
    const segments = collect(
      new QuietPointSegmenter({ sampleRate: RATE, maxSeconds: 2, searchSeconds: 0.5 }),
      samples,
      4096,
    );
    assertCovers(segments, samples);
    assert.ok(segments.length >= 5);
    for (const segment of segments) assert.ok(segment.samples.length <= 2 * RATE);
    for (const segment of segments.slice(0, -1))
      assert.ok(segment.samples.length >= 1.5 * RATE, 'a cut falls in the last 0.5 s before the limit');
  });

  it('gives short audio as one segment and nothing for no audio', () => {
    const samples = speechWithGaps(1.5, []);
    const segments = collect(new QuietPointSegmenter({ sampleRate: RATE, maxSeconds: 4 }), samples, 999);
    assert.equal(segments.length, 1);
    assertCovers(segments, samples);
    assert.equal(new QuietPointSegmenter({ sampleRate: RATE, maxSeconds: 4 }).finish(), undefined);
  });
});

describe('segmentPcmStream', () => {
  it('reassembles samples split across byte chunks of odd length', async () => {
    const samples = speechWithGaps(7, [[2.5, 2.8]]);
    const bytes = pcmBytes(samples);
    async function* oddChunks(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < bytes.length; at += 777) {
        await Promise.resolve(); // as from a pipe: one chunk per turn
        yield bytes.subarray(at, at + 777);
      }
    }
    const segments: PcmSegment[] = [];
    for await (const segment of segmentPcmStream(oddChunks(), {
      sampleRate: RATE,
      maxSeconds: 3,
      searchSeconds: 1,
    })) {
      segments.push({ samples: segment.samples.slice(), startSample: segment.startSample });
    }
    assertCovers(segments, samples);
    const firstCut = segments[1].startSample / RATE;
    assert.ok(firstCut > 2.5 && firstCut < 2.8, `cut at ${firstCut} s`);
  });
});
