import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunk, fmt, riff } from './testing/riff-builder.js';
import { readWavHeader, wavSecondsAtLeast } from './wav-header.js';
import { encodeWav, wavHeaderForStream } from './wav.js';

describe('readWavHeader', () => {
  it('reads the canonical header, and asks for more bytes at every shorter prefix', () => {
    const wav = encodeWav(new Int16Array(16_000 * 3), 16_000);
    assert.deepEqual(readWavHeader(wav.subarray(0, 44)), {
      dataOffset: 44,
      declaredDataBytes: 96_000,
      frameBytes: 2,
      sampleRate: 16_000,
    });
    for (let length = 0; length < 44; length++)
      assert.equal(readWavHeader(wav.subarray(0, length)), 'incomplete', `prefix of ${length} bytes`);
  });

  it('walks LIST chunks before the data and reads stereo and WAVE_FORMAT_EXTENSIBLE', () => {
    const list = chunk('LIST', Buffer.alloc(301, 7)); // odd size: padded
    const stereo = riff([fmt(1, 2, 44_100, 16), list, chunk('data', Buffer.alloc(8), 0xffff_ffff)]);
    assert.deepEqual(readWavHeader(stereo), {
      dataOffset: 12 + 24 + 8 + 302 + 8,
      declaredDataBytes: 0xffff_ffff,
      frameBytes: 4,
      sampleRate: 44_100,
    });
    const extensible = riff([fmt(0xfffe, 1, 8000, 16, 1), chunk('data', Buffer.alloc(4))]);
    assert.equal((readWavHeader(extensible) as { sampleRate: number }).sampleRate, 8000);
  });

  it('leaves what decodeWav does not read to the decoder (null)', () => {
    assert.equal(
      readWavHeader(Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000')),
      null,
    );
    assert.equal(readWavHeader(Buffer.from('RIFX')), null);
    assert.equal(readWavHeader(riff([fmt(3, 1, 16_000, 32), chunk('data', Buffer.alloc(4))])), null, 'float');
    assert.equal(readWavHeader(riff([fmt(1, 1, 16_000, 8), chunk('data', Buffer.alloc(4))])), null, '8-bit');
    assert.equal(
      readWavHeader(riff([chunk('data', Buffer.alloc(4)), fmt(1, 1, 16_000, 16)])),
      null,
      'data first',
    );
    assert.equal(readWavHeader(riff([chunk('fmt ', Buffer.alloc(8)), chunk('data', Buffer.alloc(4))])), null);
  });

  it('reads the header of a streamed WAV (sizes unknown)', () => {
    const header = readWavHeader(wavHeaderForStream(22_050));
    assert.equal(typeof header, 'object');
    assert.equal((header as { declaredDataBytes: number }).declaredDataBytes, 0xffff_ffff);
  });
});

describe('wavSecondsAtLeast', () => {
  const header = { dataOffset: 44, declaredDataBytes: 32_000 * 10, frameBytes: 2, sampleRate: 16_000 };

  it('counts the bytes that will arrive, capped by the declared data size like decodeWav', () => {
    assert.equal(wavSecondsAtLeast(header, 44 + 32_000 * 4), 4);
    assert.equal(wavSecondsAtLeast(header, 44 + 32_000 * 100), 10, 'bytes after the data chunk are no audio');
    assert.equal(wavSecondsAtLeast(header, 20), 0);
    assert.equal(wavSecondsAtLeast({ ...header, declaredDataBytes: 0 }, 1_000_000), 0, 'size 0: no samples');
    // A placeholder size (streamed WAV, espeak) caps nothing: only what arrives counts.
    const streamed = { ...header, declaredDataBytes: 0xffff_ffff };
    assert.equal(wavSecondsAtLeast(streamed, 44 + 32_000 * 7 + 1), 7, 'a split frame is not a sample');
  });
});
