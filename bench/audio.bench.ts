/**
 * Audio encoding: median time to encode 5 s of 22050 Hz speech-like audio into every
 * output format, with the system ffmpeg (Debian's package) and the static npm build
 * (@ffmpeg-installer) side by side, plus what each ffmpeg costs just to start, the time to
 * the first streamed bytes, and the no-process WAV path against ffmpeg writing the same WAV.
 *
 * Run after building: node dist/bench/audio.bench.js (or `npm run bench` for every benchmark).
 *
 * Environment:
 *   BENCH_AUDIO_RUNS   measured runs per row (default 9; one unmeasured warm-up run first)
 *
 * The two ffmpegs alternate run by run (system, npm, system, …) rather than one block
 * after the other: when other processes load the machine unevenly over time, both
 * columns see about the same load and the ratio stays meaningful.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { AudioClip } from '../src/engines/ports/audio-clip.js';
import type { OutputFormat } from '../src/audio/audio-format.js';
import { AudioTranscoder } from '../src/audio/audio-transcoder.js';
import { inputArgs } from '../src/audio/encoder-args.js';
import { type LocatedFfmpeg, locateNpmFfmpeg, locateSystemFfmpeg } from '../src/audio/ffmpeg-locator.js';
import { ffmpegRunner, runFfmpeg } from '../src/audio/ffmpeg-process.js';
import { pcmBytes } from '../src/audio/pcm.js';
import { speechLike } from '../src/audio/testing/synthetic.js';

const RUNS = Number(process.env.BENCH_AUDIO_RUNS ?? 9);
const RATE = 22050;
const SECONDS = 5;

interface Ffmpeg extends LocatedFfmpeg {
  transcoder: AudioTranscoder;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timed(job: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await job();
  return performance.now() - started;
}

/** Median ms of each job, the jobs alternating run by run; one warm-up round first. */
async function alternating(jobs: Array<() => Promise<unknown>>, runs = RUNS): Promise<number[]> {
  const times = jobs.map(() => [] as number[]);
  for (let round = 0; round <= runs; round++) {
    for (const [index, job] of jobs.entries()) {
      const ms = await timed(job);
      if (round > 0) times[index].push(ms);
    }
  }
  return times.map(median);
}

async function locate(): Promise<Ffmpeg[]> {
  const found: Ffmpeg[] = [];
  for (const locator of [locateSystemFfmpeg, locateNpmFfmpeg]) {
    try {
      const located = await locator();
      found.push({ ...located, transcoder: new AudioTranscoder(located.path) });
    } catch (error) {
      console.log(`(skipped: ${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (found.length === 0) throw new Error('no ffmpeg to benchmark');
  return found;
}

/** 5 s as ten 0.5 s clips, the way a chunked synthesis hands them over. */
async function* chunked(clip: AudioClip): AsyncGenerator<AudioClip> {
  const size = RATE / 2;
  for (let at = 0; at < clip.samples.length; at += size) {
    await Promise.resolve();
    yield { samples: clip.samples.subarray(at, at + size), sampleRate: RATE };
  }
}

/** Milliseconds until a stream's first bytes, then drains it. */
async function firstBytesMs(
  transcoder: AudioTranscoder,
  clip: AudioClip,
  format: OutputFormat,
): Promise<number> {
  const started = performance.now();
  let first = NaN;
  for await (const _ of transcoder.encodeStream(chunked(clip), format)) {
    if (Number.isNaN(first)) first = performance.now() - started;
  }
  return first;
}

const pad = (text: string, width: number): string => text.padEnd(width);
const ms = (value: number): string => `${value.toFixed(1)} ms`.padStart(10);
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`.padStart(8);

export async function runAudioBenchmark(): Promise<void> {
  const clip = speechLike(SECONDS, RATE);
  const ffmpegs = await locate();
  const [first, second] = ffmpegs as [Ffmpeg, Ffmpeg | undefined];
  console.log(
    `${SECONDS} s of ${RATE} Hz speech-like audio, median of ${RUNS} runs, load average ${loadavg()[0].toFixed(2)}`,
  );
  for (const f of ffmpegs) console.log(`  ${f.source}: ${f.path} (ffmpeg ${f.version})`);
  const header =
    ffmpegs.map((f) => f.source.padStart(10)).join('') + (second ? '  npm/sys' : '') + '     bytes';
  console.log(`\n${pad('row', 28)}${header}`);

  const row = async (
    name: string,
    make: (f: Ffmpeg) => () => Promise<unknown>,
    bytes = '',
  ): Promise<void> => {
    const times = await alternating(ffmpegs.map(make));
    const compare = second ? ratio(times[1], times[0]) : '';
    console.log(`${pad(name, 28)}${times.map(ms).join('')}${compare}${bytes.padStart(10)}`);
  };

  await row(
    'ffmpeg -version (startup)',
    (f) => () => runFfmpeg(ffmpegRunner(f.path), ['-version'], new Uint8Array(0), 'start'),
  );
  for (const format of ['mp3', 'opus', 'aac', 'flac'] as const) {
    const size = (await first.transcoder.encode(clip, format)).length;
    await row(`encode ${format}`, (f) => () => f.transcoder.encode(clip, format), String(size));
  }
  for (const format of ['mp3', 'opus'] as const) {
    const times = ffmpegs.map(() => [] as number[]);
    for (let round = 0; round <= RUNS; round++) {
      for (const [index, f] of ffmpegs.entries()) {
        const value = await firstBytesMs(f.transcoder, clip, format);
        if (round > 0) times[index].push(value);
      }
    }
    const medians = times.map(median);
    console.log(
      `${pad(`stream ${format}: first bytes`, 28)}${medians.map(ms).join('')}${second ? ratio(medians[1], medians[0]) : ''}`,
    );
  }

  // The same WAV from ffmpeg, to put a number on what the no-process path saves.
  const wavArgs = [...inputArgs(RATE), '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1'];
  const pcm = pcmBytes(clip.samples);
  await row('ffmpeg wav', (f) => () => runFfmpeg(ffmpegRunner(f.path), wavArgs, pcm, 'encode wav'));
  const [fastPath, viaFfmpeg] = await alternating(
    [
      () => first.transcoder.encode(clip, 'wav'),
      () => runFfmpeg(ffmpegRunner(first.path), wavArgs, pcm, 'encode wav'),
    ],
    Math.max(RUNS, 21),
  );
  console.log(
    `\nwav: fast path (no process) ${ms(fastPath).trim()}, ${first.source} ffmpeg ${ms(viaFfmpeg).trim()}: ` +
      `ratio ${(fastPath / viaFfmpeg).toFixed(4)}, ${(viaFfmpeg / fastPath).toFixed(0)}x faster`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runAudioBenchmark();
