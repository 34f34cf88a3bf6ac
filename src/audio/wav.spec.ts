import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AudioFormatError } from './audio-error.js';
import { chunk, fmt, riff } from './testing/riff-builder.js';
import { toneWithNoise } from './testing/synthetic.js';
import { decodeWav, encodeWav, wavHeaderForStream } from './wav.js';

function int16le(values: number[]): Buffer {
  const bytes = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => bytes.writeInt16LE(v, i * 2));
  return bytes;
}

describe('encodeWav', () => {
  it('writes the canonical 44-byte header with the right sizes', () => {
    const clip = toneWithNoise(0.1, 22050);
    const wav = encodeWav(clip.samples, 22050);
    assert.equal(wav.length, 44 + clip.samples.length * 2);
    assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
    assert.equal(wav.readUInt32LE(4), wav.length - 8);
    assert.equal(wav.toString('ascii', 8, 16), 'WAVEfmt ');
    assert.equal(wav.readUInt16LE(20), 1);
    assert.equal(wav.readUInt16LE(22), 1);
    assert.equal(wav.readUInt32LE(24), 22050);
    assert.equal(wav.readUInt32LE(28), 44100);
    assert.equal(wav.readUInt16LE(34), 16);
    assert.equal(wav.toString('ascii', 36, 40), 'data');
    assert.equal(wav.readUInt32LE(40), clip.samples.length * 2);
  });

  it('round-trips through decodeWav', () => {
    const clip = toneWithNoise(0.25, 16000, { amplitude: 0.9 });
    const decoded = decodeWav(encodeWav(clip.samples, 16000));
    assert.equal(decoded.sampleRate, 16000);
    assert.equal(decoded.channels, 1);
    assert.deepEqual(decoded.samples, clip.samples);
  });

  it('refuses an impossible sample rate', () => {
    assert.throws(() => encodeWav(new Int16Array(4), 0), AudioFormatError);
  });
});

describe('decodeWav', () => {
  const samples = [0, 1000, -1000, 32767, -32768, 12345];

  it('reads a streamed WAV (0xFFFFFFFF sizes) to the end of the file', () => {
    const decoded = decodeWav(Buffer.concat([wavHeaderForStream(24000), int16le(samples)]));
    assert.equal(decoded.sampleRate, 24000);
    assert.deepEqual([...decoded.samples], samples);
  });

  it("reads espeak's placeholder sizes (0x7FFFF000) and drops a trailing odd byte", () => {
    const data = Buffer.concat([int16le(samples), Buffer.from([0x7f])]);
    const wav = riff(
      [fmt(1, 1, 22050, 16), chunk('data', data, 0x7ffff000).subarray(0, 8 + data.length)],
      0x7ffff000,
    );
    assert.deepEqual([...decodeWav(wav).samples], samples);
  });

  it('skips other chunks, including odd-sized padded ones, before the data', () => {
    const wav = riff([
      fmt(1, 1, 8000, 16),
      chunk('LIST', Buffer.from('INFOISFT odd', 'ascii')),
      chunk('fact', Buffer.alloc(4)),
      chunk('data', int16le(samples)),
    ]);
    assert.equal(decodeWav(wav).sampleRate, 8000);
    assert.deepEqual([...decodeWav(wav).samples], samples);
  });

  it('mixes stereo (and WAVE_FORMAT_EXTENSIBLE) to mono', () => {
    const stereo = int16le([1000, 3000, -2000, -4000, 32767, 32767]);
    for (const format of [fmt(1, 2, 44100, 16), fmt(0xfffe, 2, 44100, 16, 1)]) {
      const decoded = decodeWav(riff([format, chunk('data', stereo)]));
      assert.equal(decoded.channels, 2);
      assert.equal(decoded.sampleRate, 44100);
      assert.deepEqual([...decoded.samples], [2000, -3000, 32767]);
    }
  });

  it('refuses what it cannot read, with AudioFormatError', () => {
    const data = chunk('data', int16le(samples));
    const cases: Array<[string, Buffer]> = [
      ['not RIFF', Buffer.from('ID3\x04 not a wav at all', 'latin1')],
      ['8-bit', riff([fmt(1, 1, 8000, 8), data])],
      ['float', riff([fmt(3, 1, 8000, 32), data])],
      ['extensible float', riff([fmt(0xfffe, 1, 8000, 16, 3), data])],
      ['no data', riff([fmt(1, 1, 8000, 16)])],
      ['data before fmt', riff([data, fmt(1, 1, 8000, 16)])],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [name, wav] of cases) assert.throws(() => decodeWav(wav), AudioFormatError, name);
  });
});
