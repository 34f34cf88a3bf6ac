import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioClip } from '../engines/ports/audio-clip.js';
import { AudioFormatError } from './audio-error.js';
import {
  ClipJoiner,
  joinClips,
  normalizeLoudness,
  prepareStreamChunk,
  speechLevelDbfs,
} from './clip-joiner.js';
import { toneWithNoise } from './testing/synthetic.js';

const RATE = 22050;
const CEILING = 32768 * 10 ** (-1 / 20);

/** A tone that starts (and, at whole periods, ends) at full swing: the worst case for a click at a cut. */
function hardEdgedTone(seconds: number, amplitude: number, frequency = 441, phase = 0): AudioClip {
  const samples = new Int16Array(Math.round(seconds * RATE));
  for (let i = 0; i < samples.length; i++) {
    samples[i] = Math.round(amplitude * 32767 * Math.cos((2 * Math.PI * frequency * i) / RATE + phase));
  }
  return { samples, sampleRate: RATE };
}

function withSilence(clip: AudioClip, beforeSeconds: number, afterSeconds: number): AudioClip {
  const before = Math.round(beforeSeconds * RATE);
  const samples = new Int16Array(before + clip.samples.length + Math.round(afterSeconds * RATE));
  samples.set(clip.samples, before);
  return { ...clip, samples };
}

function maxJump(samples: Int16Array, from = 0, to = samples.length): number {
  let max = 0;
  for (let i = Math.max(1, from); i < Math.min(to, samples.length); i++) {
    max = Math.max(max, Math.abs(samples[i] - samples[i - 1]));
  }
  return max;
}

function rmsDb(samples: Int16Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += (samples[i] / 32768) ** 2;
  return 10 * Math.log10(sum / (to - from));
}

/** [start, end) runs of non-zero samples: where each chunk landed. */
function audibleRuns(samples: Int16Array): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let start = -1;
  samples.forEach((sample, i) => {
    if (sample !== 0 && start < 0) start = i;
    if (sample === 0 && start >= 0 && samples.subarray(i, i + 50).every((s) => s === 0)) {
      runs.push([start, i]);
      start = -1;
    }
  });
  if (start >= 0) runs.push([start, samples.length]);
  return runs;
}

describe('joinClips', () => {
  it('leaves no click at the joints, with a pause or with a cross-fade', () => {
    const a = hardEdgedTone(0.5, 0.5); // 220.5 periods: ends near -full swing
    const b = hardEdgedTone(0.4, 0.5, 330); // starts at +full swing
    // Sanity: butting the raw chunks together jumps by about the full swing.
    const raw = new Int16Array([...a.samples, ...b.samples]);
    assert.ok(maxJump(raw, a.samples.length - 2, a.samples.length + 2) > 0.9 * 32767);
    for (const pauseMs of [120, 0]) {
      const joined = joinClips([a, b], { pauseMs });
      const body = maxJump(joined.samples, 2000, 6000); // inside chunk a, far from any cut
      const edges = [0, a.samples.length, joined.samples.length - 1];
      for (const edge of edges) {
        const near = maxJump(joined.samples, edge - 400, edge + 400 + Math.round((pauseMs * RATE) / 1000));
        assert.ok(near <= body * 1.05, `pause ${pauseMs} ms: jump ${near} near sample ${edge}, body ${body}`);
      }
      assert.equal(joined.samples[0], 0);
      assert.ok(Math.abs(joined.samples[joined.samples.length - 1]) < 100);
    }
  });

  it('brings chunks of very different loudness to the same level, without clipping', () => {
    const loud = toneWithNoise(1, RATE, { amplitude: 0.9, noise: 0.05, seed: 2 });
    const quiet = toneWithNoise(1, RATE, { amplitude: 0.01, noise: 0.002, seed: 3, frequency: 180 });
    const joined = joinClips([loud, quiet]);
    const runs = audibleRuns(joined.samples);
    assert.equal(runs.length, 2);
    const [[a0, a1], [b0, b1]] = runs as [[number, number], [number, number]];
    const fade = Math.round(0.008 * RATE);
    const levelA = rmsDb(joined.samples, a0 + fade, a1 - fade);
    const levelB = rmsDb(joined.samples, b0 + fade, b1 - fade);
    assert.ok(Math.abs(levelA - levelB) < 1, `levels ${levelA.toFixed(2)} and ${levelB.toFixed(2)} dBFS`);
    assert.ok(Math.abs(levelA + 20) < 1, `target -20 dBFS, got ${levelA.toFixed(2)}`);
    assert.ok(Math.max(...joined.samples.map(Math.abs)) <= CEILING + 1);
  });

  it('limits peaks locally instead of clipping or turning everything down', () => {
    // Mostly quiet, with sharp spikes: the gain that levels the tone puts the spikes far above full scale.
    const clip = toneWithNoise(1, RATE, { amplitude: 0.02, noise: 0.002, seed: 4 });
    for (let i = 1000; i < clip.samples.length; i += 3000) clip.samples[i] = 30000;
    const gainDb = -10 - speechLevelDbfs(clip.samples, RATE);
    const out = normalizeLoudness(clip, { targetDbfs: -10 });
    const peak = Math.max(...out.samples.map(Math.abs));
    assert.ok(peak <= CEILING + 1, `peak ${peak}`);
    // Between two spikes the tone got the full gain: the limiter acted only around the spikes.
    const between = rmsDb(out.samples, 1500, 3500) - rmsDb(clip.samples, 1500, 3500);
    assert.ok(
      Math.abs(between - gainDb) < 0.1,
      `gain between spikes ${between.toFixed(2)} dB, expected ${gainDb.toFixed(2)}`,
    );
  });

  it('trims the silence engines leave at chunk edges and inserts one consistent pause', () => {
    const tone = toneWithNoise(0.5, RATE);
    const a = withSilence(tone, 0.3, 0.4);
    const b = withSilence(tone, 0.05, 0.6);
    const joined = joinClips([a, b], { pauseMs: 100, normalize: false });
    const margin = Math.round(0.015 * RATE);
    const pause = Math.round(0.1 * RATE);
    assert.equal(joined.samples.length, 2 * (tone.samples.length + 2 * margin) + pause);
    const runs = audibleRuns(joined.samples);
    assert.equal(runs.length, 2);
    const gap = runs[1][0] - runs[0][1];
    assert.ok(Math.abs(gap - (pause + 2 * margin)) < 0.004 * RATE, `gap ${gap} samples`);
  });

  it('drops a chunk that is all silence', () => {
    const tone = toneWithNoise(0.3, RATE);
    const silent: AudioClip = { samples: new Int16Array(RATE), sampleRate: RATE };
    const joined = joinClips([tone, silent, tone], { pauseMs: 100 });
    assert.equal(audibleRuns(joined.samples).length, 2);
    assert.ok(joined.samples.length < 2 * tone.samples.length + 0.15 * RATE);
  });

  it('moves word timings with their audio', () => {
    const a = {
      ...withSilence(toneWithNoise(1, RATE), 0.2, 0.3),
      words: [
        { word: 'hello', start: 0.2, end: 0.7 },
        { word: 'world', start: 0.7, end: 1.2 },
      ],
    };
    const b = {
      ...withSilence(toneWithNoise(1, RATE), 0.5, 0),
      words: [{ word: 'again', start: 0.5, end: 1.5 }],
    };
    const joined = joinClips([a, b], { pauseMs: 120 });
    const margin = 0.015;
    const lengthA = 1 + 2 * margin;
    const startB = lengthA + 0.12;
    const expected = [
      ['hello', margin, 0.5 + margin],
      ['world', 0.5 + margin, 1 + margin],
      ['again', startB + margin, startB + margin + 1],
    ] as const;
    assert.equal(joined.words?.length, 3);
    joined.words.forEach((word, i) => {
      const [name, start, end] = expected[i];
      assert.equal(word.word, name);
      assert.ok(Math.abs(word.start - start) < 0.001, `${name} start ${word.start} vs ${start}`);
      assert.ok(Math.abs(word.end - end) < 0.001, `${name} end ${word.end} vs ${end}`);
    });
    // And the audio really is there: the joined clip is loud at "again"'s start.
    const at = Math.round((joined.words[2].start + 0.05) * RATE);
    assert.ok(Math.abs(joined.samples[at]) > 0 || Math.abs(joined.samples[at + 1]) > 0);
  });

  it('refuses clips at different sample rates, and an empty list', () => {
    const a = toneWithNoise(0.1, 22050);
    const b = toneWithNoise(0.1, 24000);
    assert.throws(() => joinClips([a, b]), AudioFormatError);
    assert.throws(() => joinClips([]), AudioFormatError);
  });
});

describe('prepareStreamChunk', () => {
  it('gives, chunk after chunk, exactly what joinClips gives', () => {
    const clips = [
      withSilence(toneWithNoise(0.4, RATE, { amplitude: 0.6 }), 0.1, 0.2),
      withSilence(toneWithNoise(0.3, RATE, { amplitude: 0.05, seed: 9 }), 0.2, 0.1),
      withSilence(toneWithNoise(0.2, RATE, { amplitude: 0.3, seed: 5 }), 0, 0.05),
    ].map((clip, i) => ({ ...clip, words: [{ word: `w${i}`, start: 0.25, end: 0.3 }] }));
    const streamed = clips.map((clip, i) => prepareStreamChunk(clip, { first: i === 0 }));
    const joined = joinClips(clips);
    assert.deepEqual(new Int16Array(streamed.flatMap((c) => [...c.samples])), joined.samples);
    let offset = 0;
    const shifted = streamed.flatMap((chunk) => {
      const words = (chunk.words ?? []).map((w) => ({ ...w, start: w.start + offset, end: w.end + offset }));
      offset += chunk.samples.length / RATE;
      return words;
    });
    shifted.forEach((word, i) => assert.ok(Math.abs(word.start - joined.words![i].start) < 1e-5));
  });
});

describe('ClipJoiner', () => {
  const clips = () =>
    [
      withSilence(toneWithNoise(0.4, RATE, { amplitude: 0.6 }), 0.1, 0.2),
      withSilence(toneWithNoise(0.3, RATE, { amplitude: 0.05, seed: 9 }), 0.2, 0.1),
      { samples: new Int16Array(2000), sampleRate: RATE },
      withSilence(toneWithNoise(0.2, RATE, { amplitude: 0.3, seed: 5 }), 0, 0.05),
    ].map((clip, i) => ({ ...clip, words: [{ word: `w${i}`, start: 0.05, end: 0.1 }] }));

  for (const pauseMs of [120, 0]) {
    it(`pieces played back to back are joinClips' clip, sample for sample (pause ${pauseMs} ms)`, () => {
      const joiner = new ClipJoiner({ pauseMs });
      const pieces = clips().map((clip) => joiner.push(clip));
      pieces.push(joiner.finish());
      // joinClips' own behaviour (pauses, cross-fades, levels) is checked by the tests above.
      const joined = joinClips(clips(), { pauseMs });
      const concatenated = new Int16Array(pieces.flatMap((piece) => [...piece.samples]));
      assert.deepEqual(concatenated, joined.samples);
      assert.deepEqual(joiner.words, joined.words);
      assert.equal(joiner.durationSeconds, joined.samples.length / RATE);
      if (pauseMs === 0) assert.ok(pieces[0].samples.length > 0 && pieces.at(-1)!.samples.length > 0);
    });
  }

  it('refuses a clip at another rate', () => {
    const joiner = new ClipJoiner();
    joiner.push(toneWithNoise(0.1, 22050));
    assert.throws(() => joiner.push(toneWithNoise(0.1, 24000)), AudioFormatError);
  });
});
