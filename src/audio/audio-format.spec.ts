import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AudioFormatError } from './audio-error.js';
import {
  OUTPUT_FORMATS,
  STREAMABLE_FORMATS,
  contentTypeOf,
  isOutputFormat,
  outputSampleRate,
} from './audio-format.js';

describe('audio formats', () => {
  it('has a content type for every format', () => {
    assert.deepEqual(
      OUTPUT_FORMATS.map((format) => contentTypeOf(format)),
      ['audio/wav', 'audio/mpeg', 'audio/opus', 'audio/aac', 'audio/flac', 'audio/pcm'],
    );
    assert.deepEqual([...STREAMABLE_FORMATS].sort(), ['mp3', 'opus', 'pcm', 'wav']);
    assert.ok(isOutputFormat('flac'));
    assert.ok(!isOutputFormat('ogg'));
  });

  it('moves a rate up to the nearest one the encoder accepts', () => {
    assert.equal(outputSampleRate('opus', 22050), 24000);
    assert.equal(outputSampleRate('opus', 22050, 16000), 16000);
    assert.equal(outputSampleRate('opus', 44100), 48000);
    assert.equal(outputSampleRate('opus', 22050, 10000), 12000);
    assert.equal(outputSampleRate('mp3', 22050, 44000), 44100);
    assert.equal(outputSampleRate('mp3', 96000), 48000); // above the encoder's range: its highest rate
    assert.equal(outputSampleRate('aac', 7350), 7350);
    assert.equal(outputSampleRate('flac', 22050, 44000), 44000);
    assert.equal(outputSampleRate('wav', 22050), 22050);
    assert.equal(outputSampleRate('pcm', 22050, 16000), 16000);
  });

  it('refuses impossible rates', () => {
    for (const rate of [0, -1, 22050.5, 999, 1e6, NaN]) {
      assert.throws(() => outputSampleRate('wav', 22050, rate), AudioFormatError, String(rate));
    }
  });
});
