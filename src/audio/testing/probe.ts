/*
 * What a player sees in encoded audio: Debian's ffprobe for the stream header, Debian's
 * ffmpeg to decode and count samples (FLAC, Ogg and ADTS headers need not carry a
 * duration; the decoded length is the truth). Test support only.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProbedAudio {
  codec: string;
  sampleRate: number;
  channels: number;
  /** From the container header; NaN when it has none (piped FLAC, some Ogg/ADTS). */
  headerSeconds: number;
  /** From the decoded samples. */
  decodedSeconds: number;
}

interface FfprobeJson {
  streams?: Array<{ codec_name: string; sample_rate: string; channels: number }>;
  format?: { duration?: string };
}

export async function probeAudio(bytes: Uint8Array, inputFormat?: string): Promise<ProbedAudio> {
  const directory = await mkdtemp(join(tmpdir(), 'sg-audio-probe-'));
  try {
    const file = join(directory, 'audio');
    await writeFile(file, bytes);
    const format = inputFormat ? ['-f', inputFormat] : [];
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      ...format,
      '-show_entries',
      'stream=codec_name,sample_rate,channels',
      '-show_entries',
      'format=duration',
      '-of',
      'json',
      file,
    ]);
    const probed = JSON.parse(stdout) as FfprobeJson;
    const stream = probed.streams?.[0];
    if (!stream) throw new Error('ffprobe found no audio stream');
    const sampleRate = Number(stream.sample_rate);
    const decoded = await run(
      'ffmpeg',
      ['-v', 'error', ...format, '-i', file, '-f', 's16le', '-ac', '1', 'pipe:1'],
      {
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    return {
      codec: stream.codec_name,
      sampleRate,
      channels: stream.channels,
      headerSeconds: Number(probed.format?.duration ?? NaN),
      decodedSeconds: decoded.stdout.length / 2 / sampleRate,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Decoded mono s16le samples of encoded audio, at its own rate. */
export async function decodeToSamples(bytes: Uint8Array): Promise<Int16Array> {
  const directory = await mkdtemp(join(tmpdir(), 'sg-audio-decode-'));
  try {
    const file = join(directory, 'audio');
    await writeFile(file, bytes);
    const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-ac', '1', 'pipe:1'], {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    });
    return new Int16Array(stdout.buffer.slice(stdout.byteOffset, stdout.byteOffset + (stdout.length & ~1)));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
