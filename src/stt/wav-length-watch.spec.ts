import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeWav, wavHeaderForStream } from '../audio/wav.js';
import { WavLengthWatch } from './wav-length-watch.js';

const RATE = 16_000;

/** Feeds `bytes` in chunks of `size`; answers after how many bytes the watch said "too long" (or null). */
function refusedAfter(watch: WavLengthWatch, bytes: Buffer, size: number): number | null {
  for (let at = 0; at < bytes.length; at += size) {
    if (watch.exceeded(bytes.subarray(at, at + size))) return Math.min(at + size, bytes.length);
  }
  return null;
}

describe('WavLengthWatch', () => {
  const tenSeconds = encodeWav(new Int16Array(RATE * 10), RATE);

  it('refuses from the header alone when the upload size is known', () => {
    const watch = new WavLengthWatch(5, tenSeconds.length);
    // The header arrives in pieces: no answer before it is complete, then at once.
    assert.equal(refusedAfter(watch, tenSeconds.subarray(0, 44), 10), 44);
  });

  it('counts what arrives when the size is unknown, and refuses once past the limit', () => {
    const after = refusedAfter(new WavLengthWatch(5, undefined), tenSeconds, 4096);
    assert.ok(after !== null && after > 44 + RATE * 2 * 5 && after <= 44 + RATE * 2 * 5 + 4096, `${after}`);
    // A streamed WAV (size fields 0xFFFFFFFF) is judged the same way.
    const streamed = Buffer.concat([wavHeaderForStream(RATE), Buffer.alloc(RATE * 2 * 6)]);
    assert.ok(refusedAfter(new WavLengthWatch(5, undefined), streamed, 4096) !== null);
  });

  it('accepts what the decoder would accept', () => {
    assert.equal(
      refusedAfter(new WavLengthWatch(10, tenSeconds.length), tenSeconds, 4096),
      null,
      'exactly the limit',
    );
    // The declared size caps the audio however long the body (trailing chunks are no audio).
    const trailing = Buffer.concat([tenSeconds, Buffer.alloc(RATE * 2 * 20)]);
    assert.equal(refusedAfter(new WavLengthWatch(10, trailing.length), trailing, 4096), null);
    // A placeholder size with a short body: only the bytes sure to arrive count.
    const placeholder = Buffer.from(tenSeconds.subarray(0, 44 + RATE * 2 * 3));
    placeholder.writeUInt32LE(0x7fff_f000, 40);
    assert.equal(refusedAfter(new WavLengthWatch(5, placeholder.length), placeholder, 4096), null);
    const sizeZero = Buffer.from(tenSeconds);
    sizeZero.writeUInt32LE(0, 40);
    assert.equal(refusedAfter(new WavLengthWatch(5, undefined), sizeZero, 4096), null, 'size 0: no samples');
    // Not a 16-bit PCM WAV: left to the decoder.
    assert.equal(refusedAfter(new WavLengthWatch(5, 10_000_000), Buffer.alloc(100_000, 0xff), 4096), null);
  });
});
