import { AudioFormatError } from './audio-error.js';
import { pcmBytes, samplesFromPcm } from './pcm.js';

const HEADER_BYTES = 44;
/** The largest size field a RIFF chunk can hold; also the "unknown length" marker. */
const MAX_CHUNK_SIZE = 0xffff_ffff;
const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function header(sampleRate: number, dataBytes: number, riffSize: number): Buffer {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new AudioFormatError(`A WAV sample rate must be a positive integer, not ${sampleRate}.`);
  }
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(riffSize, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size for plain PCM
  h.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align: one 16-bit sample
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A complete mono s16le WAV: the canonical 44-byte header, then the samples. */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const dataBytes = samples.byteLength;
  if (dataBytes > MAX_CHUNK_SIZE - (HEADER_BYTES - 8)) {
    throw new AudioFormatError('The audio is too long for a WAV file (over 4 GiB).');
  }
  return Buffer.concat([header(sampleRate, dataBytes, dataBytes + HEADER_BYTES - 8), pcmBytes(samples)]);
}

/** The canonical 44-byte header of a mono s16le WAV holding `dataBytes` of samples (written once the length is known). */
export function wavHeader(sampleRate: number, dataBytes: number): Buffer {
  if (dataBytes > MAX_CHUNK_SIZE - (HEADER_BYTES - 8)) {
    throw new AudioFormatError('The audio is too long for a WAV file (over 4 GiB).');
  }
  return header(sampleRate, dataBytes, dataBytes + HEADER_BYTES - 8);
}

/** Bytes before the samples in every WAV this module writes. */
export const WAV_HEADER_BYTES = HEADER_BYTES;

/**
 * The header of a WAV whose length is not known yet (a stream): both size fields hold
 * 0xFFFFFFFF, what ffmpeg's own WAV muxer writes when its output is a pipe. Browsers
 * (Chrome, Firefox, Safari), ffmpeg/ffprobe and VLC treat it as "read to the end" and
 * play the audio as it arrives. Players that trust the header show a bogus duration
 * (about 27 h at 22050 Hz) and cannot seek beyond what has arrived; a client that needs
 * exact sizes should ask for non-streamed wav. decodeWav below reads such files.
 */
export function wavHeaderForStream(sampleRate: number): Buffer {
  return header(sampleRate, MAX_CHUNK_SIZE, MAX_CHUNK_SIZE);
}

export interface DecodedWav {
  /** Mono: multi-channel audio is averaged to one channel. */
  samples: Int16Array;
  sampleRate: number;
  /** Channels in the file, before mixing to mono. */
  channels: number;
}

interface WavFormat {
  channels: number;
  sampleRate: number;
}

function readFormat(bytes: Buffer, at: number, size: number): WavFormat {
  if (size < 16) throw new AudioFormatError('The WAV fmt chunk is too short.');
  let code = bytes.readUInt16LE(at);
  const channels = bytes.readUInt16LE(at + 2);
  const sampleRate = bytes.readUInt32LE(at + 4);
  const bits = bytes.readUInt16LE(at + 14);
  // WAVE_FORMAT_EXTENSIBLE carries the real format in the first two bytes of its sub-format GUID.
  if (code === WAVE_FORMAT_EXTENSIBLE && size >= 40) code = bytes.readUInt16LE(at + 24);
  if (code !== WAVE_FORMAT_PCM || bits !== 16) {
    throw new AudioFormatError(`Only 16-bit PCM WAV is supported (this file: format ${code}, ${bits} bits).`);
  }
  if (channels < 1 || sampleRate < 1)
    throw new AudioFormatError('The WAV fmt chunk has no channels or no sample rate.');
  return { channels, sampleRate };
}

function mixToMono(interleaved: Int16Array, channels: number): Int16Array {
  if (channels === 1) return interleaved;
  const frames = Math.floor(interleaved.length / channels);
  const mono = new Int16Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[frame * channels + c];
    mono[frame] = Math.round(sum / channels);
  }
  return mono;
}

/**
 * Reads a 16-bit PCM WAV (any channel count; mixed to mono). Walks the chunk list, so
 * LIST/fact/… chunks before the audio are skipped. A data chunk whose size runs past the
 * end of the file is a placeholder from a writer that could not seek back (espeak writes
 * 0x7FFFF000, streamed WAVs 0xFFFFFFFF): the rest of the file is taken as the audio.
 */
export function decodeWav(input: Uint8Array): DecodedWav {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const riff = bytes.length >= 12 ? bytes.toString('ascii', 0, 4) : '';
  // RF64 keeps the RIFF layout with 0xFFFFFFFF sizes, which the placeholder rule handles.
  if ((riff !== 'RIFF' && riff !== 'RF64') || bytes.toString('ascii', 8, 12) !== 'WAVE') {
    throw new AudioFormatError('Not a WAV file (no RIFF/WAVE header).');
  }
  let format: WavFormat | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString('ascii', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      format = readFormat(bytes, body, size);
    } else if (id === 'data') {
      if (!format) throw new AudioFormatError('The WAV data chunk comes before its fmt chunk.');
      const end = Math.min(body + size, bytes.length);
      const frameBytes = format.channels * 2;
      const usable = Math.floor((end - body) / frameBytes) * frameBytes;
      const interleaved = samplesFromPcm(bytes.subarray(body, body + usable));
      return {
        samples: mixToMono(interleaved, format.channels),
        sampleRate: format.sampleRate,
        channels: format.channels,
      };
    }
    at = body + size + (size & 1); // chunks are padded to an even length
  }
  throw new AudioFormatError('The WAV file has no data chunk.');
}
