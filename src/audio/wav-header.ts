/**
 * What the start of a 16-bit PCM WAV says about its audio, read with the same chunk walk
 * as decodeWav (wav.ts): RIFF or RF64, WAVE, chunks up to the data chunk, whose fmt comes
 * before it. Used to judge an upload's length from its first bytes.
 */
export interface WavHeader {
  /** Offset of the first sample byte in the file. */
  dataOffset: number;
  /**
   * The data chunk's size field, as written. Writers that could not seek back leave a
   * placeholder (0xFFFFFFFF for streamed WAVs, 0x7FFFF000 from espeak): decodeWav then
   * takes the rest of the file, so this is only ever an upper bound.
   */
  declaredDataBytes: number;
  /** Bytes of one frame (all channels of one sample). */
  frameBytes: number;
  sampleRate: number;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * The header of the WAV whose first bytes are `head`: 'incomplete' while more bytes are
 * needed to reach the data chunk, null when this is not a 16-bit PCM WAV that decodeWav
 * reads (not a WAV, another encoding, a malformed fmt chunk: those are judged by decoding).
 */
export function readWavHeader(head: Uint8Array): WavHeader | 'incomplete' | null {
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (bytes.length < 12) return matchesPrefix(bytes) ? 'incomplete' : null;
  const riff = bytes.toString('latin1', 0, 4);
  if ((riff !== 'RIFF' && riff !== 'RF64') || bytes.toString('latin1', 8, 12) !== 'WAVE') return null;
  let format: { frameBytes: number; sampleRate: number } | undefined;
  let at = 12;
  for (;;) {
    if (at + 8 > bytes.length) return 'incomplete';
    const id = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'data') {
      if (!format) return null;
      return { dataOffset: body, declaredDataBytes: size, ...format };
    }
    if (id === 'fmt ') {
      if (body + Math.min(size, 40) > bytes.length) return 'incomplete';
      const read = pcmFormat(bytes, body, size);
      if (!read) return null;
      format = read;
    }
    at = body + size + (size & 1);
  }
}

/**
 * Seconds of audio decodeWav will find, at least, in a file with this header of which at
 * least `fileBytes` will arrive: the declared data size caps it, like decodeWav does.
 */
export function wavSecondsAtLeast(header: WavHeader, fileBytes: number): number {
  const dataBytes = Math.max(0, Math.min(header.declaredDataBytes, fileBytes - header.dataOffset));
  return Math.floor(dataBytes / header.frameBytes) / header.sampleRate;
}

/** The fmt chunk of a 16-bit PCM WAV (as wav.ts readFormat accepts it), else null. */
function pcmFormat(
  bytes: Buffer,
  at: number,
  size: number,
): { frameBytes: number; sampleRate: number } | null {
  if (size < 16) return null;
  let code = bytes.readUInt16LE(at);
  const channels = bytes.readUInt16LE(at + 2);
  const sampleRate = bytes.readUInt32LE(at + 4);
  const bits = bytes.readUInt16LE(at + 14);
  if (code === WAVE_FORMAT_EXTENSIBLE && size >= 40) code = bytes.readUInt16LE(at + 24);
  if (code !== WAVE_FORMAT_PCM || bits !== 16 || channels < 1 || sampleRate < 1) return null;
  return { frameBytes: channels * 2, sampleRate };
}

/** Whether these few bytes can still become a RIFF/RF64 … WAVE header. */
function matchesPrefix(bytes: Buffer): boolean {
  const start = bytes.toString('latin1', 0, Math.min(4, bytes.length));
  const wave = bytes.length > 8 ? bytes.toString('latin1', 8, bytes.length) : '';
  return ('RIFF'.startsWith(start) || 'RF64'.startsWith(start)) && 'WAVE'.startsWith(wave);
}
