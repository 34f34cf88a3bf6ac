import assert from 'node:assert/strict';
import { it } from 'node:test';
import { lazyResampler } from './engine-resampler.js';

void it('gives engines the audio module resampler: an 8 kHz clip comes back at 16 kHz, words kept', async () => {
  const samples = Int16Array.from({ length: 8000 }, (_, i) => Math.round(8000 * Math.sin(i / 4)));
  const words = [{ word: 'tone', start: 0, end: 1 }];
  const clip = await lazyResampler({ samples, sampleRate: 8000, words }, 16000);
  assert.equal(clip.sampleRate, 16000);
  assert.ok(Math.abs(clip.samples.length - 16000) <= 32, `${clip.samples.length} samples`);
  assert.deepEqual(clip.words, words);
});
