import type { SniffedAudioType } from './audio-sniffer.js';

/** ffmpeg demuxer for each sniffed container (forced, so ffmpeg never guesses another). */
const DEMUXERS: Record<SniffedAudioType, string> = {
  wav: 'wav',
  mp3: 'mp3',
  m4a: 'mov',
  flac: 'flac',
  ogg: 'ogg',
  webm: 'matroska',
  aac: 'aac',
};

/**
 * Decode a file to mono s16le at `sampleRate` on stdout, the first audio stream only,
 * stopping after `maxSeconds` plus 10 ms (so "longer than the limit" is detectable without
 * decoding more than that).
 */
export function decoderArgs(
  path: string,
  type: SniffedAudioType,
  sampleRate: number,
  maxSeconds: number,
): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    '-protocol_whitelist',
    'file',
    '-f',
    DEMUXERS[type],
    '-i',
    `file:${path}`,
    '-map',
    '0:a:0',
    '-vn',
    '-ac',
    '1',
    '-ar',
    String(sampleRate),
    '-t',
    (maxSeconds + 0.01).toFixed(3),
    '-f',
    's16le',
    'pipe:1',
  ];
}
