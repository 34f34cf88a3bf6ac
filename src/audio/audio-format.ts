import { AudioFormatError } from './audio-error.js';

/** Every format the gateway answers in: OpenAI's six response formats. */
export const OUTPUT_FORMATS = ['wav', 'mp3', 'opus', 'aac', 'flac', 'pcm'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * Formats that can leave before the whole audio exists. flac is produced whole because
 * its STREAMINFO header (total length) is only known at the end; aac (ADTS) could be
 * streamed but is not offered, to keep the streaming surface to the formats clients use
 * for playback while generating. Typed as OutputFormat[] so `includes(format)` accepts
 * any format.
 */
export const STREAMABLE_FORMATS: readonly OutputFormat[] = ['wav', 'pcm', 'mp3', 'opus'];

/**
 * Content types as OpenAI's /v1/audio/speech sends them. opus is Ogg-encapsulated Opus
 * (RFC 7845, what OpenAI returns); OpenAI labels it `audio/opus`, and clients written
 * against OpenAI compare against that, so the gateway does the same. pcm is raw
 * signed 16-bit little-endian mono; its rate travels in the X-Sample-Rate header.
 */
const CONTENT_TYPES: Record<OutputFormat, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  pcm: 'audio/pcm',
};

export function contentTypeOf(format: OutputFormat): string {
  return CONTENT_TYPES[format];
}

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/**
 * Rates each encoder accepts (ffmpeg refuses any other with "Specified sample rate … is
 * not supported"). null: any rate.
 */
const ENCODER_RATES: Record<OutputFormat, readonly number[] | null> = {
  mp3: [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000],
  opus: [8000, 12000, 16000, 24000, 48000],
  aac: [7350, 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000],
  flac: null,
  wav: null,
  pcm: null,
};

const MIN_RATE = 1000;
const MAX_RATE = 384_000;

/**
 * The rate the encoded audio will have: the requested one (or the clip's own), moved up
 * to the nearest rate the encoder accepts, so quality is never lowered below what was
 * asked (22050 Hz opus becomes 24000 Hz; 44000 Hz mp3 becomes 44100 Hz). Above the
 * encoder's highest rate, its highest rate.
 */
export function outputSampleRate(format: OutputFormat, sourceRate: number, requestedRate?: number): number {
  const wanted = requestedRate ?? sourceRate;
  if (!Number.isInteger(wanted) || wanted < MIN_RATE || wanted > MAX_RATE) {
    throw new AudioFormatError(
      `Sample rate must be an integer from ${MIN_RATE} to ${MAX_RATE} Hz, not ${wanted}.`,
    );
  }
  const allowed = ENCODER_RATES[format];
  if (!allowed) return wanted;
  return allowed.find((rate) => rate >= wanted) ?? allowed[allowed.length - 1];
}
