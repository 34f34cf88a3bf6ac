import { endianness } from 'node:os';

/** Mono 16-bit PCM decoded from a WAV file. */
export interface Pcm16 {
  samples: Int16Array;
  sampleRate: number;
}

/**
 * Reads the PCM out of the WAV espeak-ng writes with --stdout. espeak writes that header
 * before it knows the length, so the RIFF and data sizes are placeholders (0x7FFFF000):
 * the data chunk is taken to run to the end of the output instead of trusting its size.
 */
export function pcmFromEspeakWav(wav: Buffer): Pcm16 {
  if (
    wav.length < 12 ||
    wav.toString('latin1', 0, 4) !== 'RIFF' ||
    wav.toString('latin1', 8, 12) !== 'WAVE'
  ) {
    throw new Error('not a WAV file');
  }
  let sampleRate = 0;
  let offset = 12;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('latin1', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      const format = wav.readUInt16LE(body);
      const channels = wav.readUInt16LE(body + 2);
      const bits = wav.readUInt16LE(body + 14);
      if (format !== 1 || channels !== 1 || bits !== 16) {
        throw new Error(`unexpected WAV format ${format}, ${channels} channels, ${bits} bits`);
      }
      sampleRate = wav.readUInt32LE(body + 4);
    } else if (id === 'data') {
      if (sampleRate === 0) throw new Error('WAV data before its fmt chunk');
      const count = Math.floor((wav.length - body) / 2);
      // A fresh, aligned buffer: the input may sit at an odd offset of a pooled Buffer.
      const samples = new Int16Array(count);
      const bytes = Buffer.from(samples.buffer);
      wav.copy(bytes, 0, body, body + count * 2);
      if (endianness() === 'BE') bytes.swap16();
      return { samples, sampleRate };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('WAV without a data chunk');
}
