import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SniffedAudioType } from '../../src/audio/audio-sniffer.js';
import { decoderArgs } from '../../src/audio/decoder-args.js';
import { DEBIAN_MODEL_DIR } from '../../src/engines/adapters/pocketsphinx/pocketsphinx-options.js';

const run = promisify(execFile);

/** Recordings shipped in Debian's pocketsphinx-testdata package (LibriVox, public domain). */
export const TESTDATA = '/usr/share/pocketsphinx/test/data';
export const LIBRIVOX = join(TESTDATA, 'librivox');
/** "he was not an ill disposed young man" (2.9 s, 16 kHz mono WAV). */
export const SHORT_CLIP = join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0880.wav');
/** "he might even have been made amiable himself". */
export const SECOND_CLIP = join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0930.wav');
/** "go forward ten meters", raw 16 kHz s16le, and its JSGF grammar. */
export const GO_FORWARD_RAW = join(TESTDATA, 'goforward.raw');
export const GO_FORWARD_GRAMMAR = join(TESTDATA, 'goforward.gram');

/** The STT engine entry the e2e tests use: Debian's pocketsphinx with a generous timeout. */
export const POCKETSPHINX_TEST_CONFIG = {
  engines: {
    stt: [
      {
        id: 'pocketsphinx',
        type: 'pocketsphinx',
        options: { max_concurrent: 2 },
        resilience: { timeout_seconds: 120, retry: { max_attempts: 1 } },
      },
    ],
  },
};

/** `source` re-encoded by Debian's ffmpeg (16 kHz mono speech settings). */
export async function encodeFixture(
  source: string,
  format: 'mp3' | 'm4a' | 'flac' | 'ogg',
  dir: string,
): Promise<string> {
  const target = join(dir, `fixture.${format}`);
  const codec: Record<typeof format, string[]> = {
    mp3: ['-c:a', 'libmp3lame', '-b:a', '64k'],
    m4a: ['-c:a', 'aac', '-b:a', '96k'],
    flac: ['-c:a', 'flac'],
    ogg: ['-c:a', 'libvorbis'],
  };
  await run('ffmpeg', ['-v', 'error', '-y', '-i', source, ...codec[format], target]);
  return target;
}

/** The 16 kHz mono PCM the gateway's decoder makes of a file (same ffmpeg arguments). */
export async function decodeLikeTheGateway(path: string, type: SniffedAudioType): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', decoderArgs(path, type, 16000, 3600), {
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

/**
 * What the pocketsphinx CLI alone says of a WAV file or raw 16 kHz PCM (the model the
 * gateway's default entry uses): the hypotheses of all utterances, joined by spaces.
 */
export async function cliTranscript(
  input: string | Buffer,
  dir: string,
  extra: string[] = [],
): Promise<string> {
  let infile = typeof input === 'string' ? input : join(dir, 'cli-input.raw');
  if (typeof input !== 'string') await writeFile(infile, input);
  if (!infile.endsWith('.wav') && !infile.endsWith('.raw')) {
    const raw = join(dir, 'cli-input.raw');
    await writeFile(raw, await readFile(infile));
    infile = raw;
  }
  const { stdout } = await run('pocketsphinx_continuous', [
    '-infile',
    infile,
    '-hmm',
    join(DEBIAN_MODEL_DIR, 'en-us'),
    '-dict',
    join(DEBIAN_MODEL_DIR, 'cmudict-en-us.dict'),
    ...(extra.includes('-jsgf') ? [] : ['-lm', join(DEBIAN_MODEL_DIR, 'en-us.lm.bin')]),
    ...extra,
    '-logfn',
    '/dev/null',
  ]);
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}
