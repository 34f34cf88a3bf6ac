import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateAudio } from './audio-bound.js';
import { inspectSsml } from './ssml-inspector.js';

describe('estimateAudio', () => {
  it('bounds digits far above the ordinary estimate (espeak-ng reads them as numbers)', () => {
    const text = '1234567890 '.repeat(10).trim();
    const estimate = estimateAudio(text, { speed: 1, charsPerSecond: 12 });
    assert.equal(Math.round(estimate.ordinarySeconds * 100) / 100, 9.08);
    // espeak-ng takes about 0.51 s a character here.
    assert.ok(estimate.upperBoundSeconds >= text.length * 0.6, `${estimate.upperBoundSeconds}`);
  });

  it('weighs non-ASCII characters more, by code point', () => {
    assert.equal(estimateAudio('ǅ😀', { speed: 1, charsPerSecond: 12 }).upperBoundSeconds, 3);
  });

  it('adds SSML pauses, scales speech by speed and the slowest rate, and pauses only for slow speeds', () => {
    const ssml = inspectSsml('<prosody rate="50%">aa</prosody><break time="4s"/>');
    const chars = '<prosody rate="50%">aa</prosody><break time="4s"/>'.length;
    const fast = estimateAudio('<prosody rate="50%">aa</prosody><break time="4s"/>', {
      speed: 2,
      charsPerSecond: 12,
      ssml,
    });
    const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9);
    close(fast.upperBoundSeconds, (chars * 0.7) / (2 * 0.5) + 4);
    close(fast.ordinarySeconds, chars / 12 / 2 + 4);
    const slow = estimateAudio('<prosody rate="50%">aa</prosody><break time="4s"/>', {
      speed: 0.5,
      charsPerSecond: 12,
      ssml,
    });
    close(slow.upperBoundSeconds, (chars * 0.7) / (0.5 * 0.5) + 8);
  });
});
