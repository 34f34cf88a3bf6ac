/** What ffmpeg writes: an encoded format, or raw s16le (resampling only). */
export type FfmpegOutput = 'mp3' | 'opus' | 'aac' | 'flac' | 's16le';

/**
 * ffmpeg reads mono s16le from stdin. `-probesize 32`: with the default (5 MB) ffmpeg
 * buffers about 2 s of a piped input before it encodes anything, which would hold back
 * the first bytes of a stream; the format is given explicitly, so nothing needs probing.
 */
export function inputArgs(sampleRate: number): string[] {
  return [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'error',
    '-probesize',
    '32',
    '-f',
    's16le',
    '-ar',
    String(sampleRate),
    '-ac',
    '1',
    '-i',
    'pipe:0',
  ];
}

/** Bitrates for speech: 64 kbit/s mp3/aac and 32 kbit/s opus keep a voice clear at under 500 KB a minute. */
const CODEC_ARGS: Record<FfmpegOutput, readonly string[]> = {
  mp3: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
  // compression_level 5 (default 10) encodes several times faster. Measured surprise: below 6,
  // libopus's default "audio" mode stays CELT-only and overshoots 32k to about 49 kbit/s on
  // speech (5 s: 30.8 KB instead of 20.4 KB). Encode time was chosen over size on purpose.
  opus: ['-c:a', 'libopus', '-b:a', '32k', '-compression_level', '5', '-f', 'ogg'],
  // The fast coder: about half the encode time of the default twoloop coder, no audible loss on speech.
  aac: ['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '64k', '-f', 'adts'],
  flac: ['-c:a', 'flac', '-f', 'flac'],
  s16le: ['-c:a', 'pcm_s16le', '-f', 's16le'],
};

/**
 * Encoder and output options. `streaming`: every packet is flushed to the pipe as soon as
 * it is muxed, and Ogg pages close every 200 ms instead of every second, so a streamed
 * opus answer starts playing early (about 1.2 kbit/s of extra page headers).
 * `destination`: a file path (seekable, see AudioTranscoder.encode) or stdout.
 */
export function outputArgs(
  output: FfmpegOutput,
  sampleRate: number,
  options: { streaming: boolean; destination?: string },
): string[] {
  const args = [...CODEC_ARGS[output], '-ar', String(sampleRate), '-ac', '1'];
  if (options.streaming) {
    args.push('-flush_packets', '1');
    if (output === 'opus') args.push('-page_duration', '200000');
  }
  if (options.destination) args.push('-y', options.destination);
  else args.push('pipe:1');
  return args;
}
