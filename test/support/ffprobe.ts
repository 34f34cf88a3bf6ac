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
  /** Decoded duration in seconds (counted from decoded samples, so it is right for every container). */
  durationSeconds: number;
}

/** Decodes audio bytes with Debian's ffprobe/ffmpeg, the way a client's player would. */
export async function probeAudio(bytes: Buffer, inputFormat?: string): Promise<ProbedAudio> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-probe-'));
  try {
    const file = join(dir, 'audio');
    await writeFile(file, bytes);
    const formatArgs = inputFormat ? ['-f', inputFormat] : [];
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      ...formatArgs,
      '-show_entries',
      'stream=codec_name,sample_rate,channels',
      '-of',
      'json',
      file,
    ]);
    const stream = (
      JSON.parse(stdout) as { streams: Array<{ codec_name: string; sample_rate: string; channels: number }> }
    ).streams[0];
    if (!stream) throw new Error('no audio stream');
    const decoded = await run(
      'ffmpeg',
      [
        '-v',
        'error',
        ...formatArgs,
        '-i',
        file,
        '-f',
        's16le',
        '-ac',
        '1',
        '-ar',
        stream.sample_rate,
        'pipe:1',
      ],
      {
        encoding: 'buffer',
        maxBuffer: 512 * 1024 * 1024,
      },
    );
    return {
      codec: stream.codec_name,
      sampleRate: Number(stream.sample_rate),
      channels: stream.channels,
      durationSeconds: decoded.stdout.length / 2 / Number(stream.sample_rate),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
