import { open } from 'node:fs/promises';

/** Containers an upload can be, as told by its first bytes. */
export type SniffedAudioType = 'wav' | 'mp3' | 'm4a' | 'flac' | 'ogg' | 'webm' | 'aac';

/** Bytes read from the start of a file; enough for every signature below. */
const HEAD_BYTES = 64;
/** ID3v2 tags (cover art) may be large; a tag claiming more than this is not followed. */
const MAX_ID3_BYTES = 16 * 1024 * 1024;

/** MPEG audio frame header: 11 sync bits, then version, layer (00 = ADTS AAC), bitrate ≠ 1111. */
function mpegFrame(bytes: Buffer, at: number): 'mp3' | 'aac' | null {
  if (bytes.length < at + 4 || bytes[at] !== 0xff || (bytes[at + 1] & 0xe0) !== 0xe0) return null;
  const layer = (bytes[at + 1] >> 1) & 0x03;
  if (layer === 0) return (bytes[at + 1] & 0xf6) === 0xf0 ? 'aac' : null; // ADTS: 12 sync bits
  const version = (bytes[at + 1] >> 3) & 0x03;
  const bitrate = bytes[at + 2] >> 4;
  const rate = (bytes[at + 2] >> 2) & 0x03;
  return version !== 1 && bitrate !== 0x0f && rate !== 0x03 ? 'mp3' : null;
}

/** The type of the audio in `head` (the file's first bytes, after any ID3v2 tag), or null. */
export function sniffAudioType(head: Buffer): SniffedAudioType | null {
  const ascii = (from: number, to: number): string =>
    head.length >= to ? head.toString('latin1', from, to) : '';
  if ((ascii(0, 4) === 'RIFF' || ascii(0, 4) === 'RF64') && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  // ISO base media (MP4/M4A/3GP): a box size, then "ftyp" and a brand.
  if (ascii(4, 8) === 'ftyp') return 'm4a';
  return mpegFrame(head, 0);
}

/** Size of an ID3v2 tag at the start of `head` (header included), or 0. */
export function id3TagLength(head: Buffer): number {
  if (head.length < 10 || head.toString('latin1', 0, 3) !== 'ID3') return 0;
  const size =
    ((head[6] & 0x7f) << 21) | ((head[7] & 0x7f) << 14) | ((head[8] & 0x7f) << 7) | (head[9] & 0x7f);
  const footer = head[5] & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * The type of an audio file by its magic bytes, never by its name or the client's
 * Content-Type. An ID3v2 tag is skipped first (it may precede MP3 and, rarely, FLAC).
 */
export async function sniffAudioFile(path: string): Promise<SniffedAudioType | null> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await file.read(head, 0, HEAD_BYTES, 0);
    const start = head.subarray(0, bytesRead);
    const tag = id3TagLength(start);
    if (tag === 0) return sniffAudioType(start);
    if (tag > MAX_ID3_BYTES) return null;
    const after = Buffer.alloc(HEAD_BYTES);
    const read = await file.read(after, 0, HEAD_BYTES, tag);
    return sniffAudioType(after.subarray(0, read.bytesRead));
  } finally {
    await file.close();
  }
}
