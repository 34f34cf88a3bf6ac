/**
 * /stt in one run:
 *   1. POST /stt (warm decoder, and the process decoder) against the pocketsphinx CLI
 *      alone on the same WAV file, alternating, median of BENCH_STT_ROUNDS each (ratio;
 *      goal <= 1.05), and the real-time factor;
 *   2. what one decoder process costs before it hears anything (model loading: the CLI on
 *      0.1 s of silence), i.e. what a long-lived decoder could save per request;
 *   3. peak RSS growth of the server while a 50 MB upload streams in (random bytes, so the
 *      request ends with 415 once the whole file is on disk: upload cost alone), and while a
 *      30 s recording is decoded and transcribed.
 *
 * Run after building: node dist/bench/stt.bench.js (or `npm run bench`). Needs Debian's
 * pocketsphinx, pocketsphinx-en-us and pocketsphinx-testdata (npm test installs them).
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { decodeWav, encodeWav } from '../src/audio/wav.js';
import { parsePocketsphinxOptions } from '../src/engines/adapters/pocketsphinx/pocketsphinx-options.js';
import { startBenchGateway } from './bench-gateway.js';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_STT_ROUNDS ?? 5);
const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
const CLIP = join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0870.wav');
const UPLOAD_MB = 50;

const MODEL = parsePocketsphinxOptions({});
const CLI_ARGS = ['-hmm', MODEL.hmm, '-lm', MODEL.lm, '-dict', MODEL.dict, '-logfn', '/dev/null'];

async function cliMs(file: string): Promise<number> {
  const started = performance.now();
  await run('pocketsphinx_continuous', ['-infile', file, ...CLI_ARGS]);
  return performance.now() - started;
}

async function sttMs(url: string, file: string, engine = 'warm'): Promise<number> {
  const body = await readFile(file);
  const started = performance.now();
  const response = await fetch(`${url}/stt?model=${engine}`, {
    method: 'POST',
    headers: { 'Content-Type': 'audio/wav' },
    body,
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`/stt answered ${response.status}`);
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Streams `file` as the raw body of POST /stt; resolves with the status once answered. */
function upload(url: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/stt`, { method: 'POST', headers: { 'Content-Type': 'audio/wav' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

/** Peak RSS above the level before `work`, sampled every 5 ms in this (the server's) process. */
async function peakRssGrowthMb(work: () => Promise<unknown>): Promise<number> {
  global.gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return (Math.max(peak, process.memoryUsage.rss()) - baseline) / (1024 * 1024);
}

export async function runSttBenchmark(): Promise<void> {
  const { url, dir, close } = await startBenchGateway('stt', {
    auth: { enforce: false },
    routers: { core: { stt: { max_file_size_mb: UPLOAD_MB + 1 } } },
    engines: {
      // The same model behind both decoders; ?model= picks one per request.
      stt: (['warm', 'process'] as const).map((decoder) => ({
        id: decoder,
        type: 'pocketsphinx',
        options: { decoder },
        resilience: { timeout_seconds: 600, retry: { max_attempts: 1 } },
      })),
    },
  });
  try {
    const clipSeconds = decodeWav(await readFile(CLIP)).samples.length / 16000;
    await sttMs(url, CLIP); // warm-up: JIT, page cache for the model files
    await sttMs(url, CLIP, 'process');
    await cliMs(CLIP);
    const cli: number[] = [];
    const stt: number[] = [];
    const sttProcess: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      cli.push(await cliMs(CLIP));
      stt.push(await sttMs(url, CLIP));
      sttProcess.push(await sttMs(url, CLIP, 'process'));
    }
    const cliMedian = median(cli);
    const sttMedian = median(stt);
    const processMedian = median(sttProcess);

    const silence = join(dir, 'silence.wav');
    await writeFile(silence, encodeWav(new Int16Array(1600), 16000));
    const startups: number[] = [];
    for (let i = 0; i < ROUNDS; i++) startups.push(await cliMs(silence));
    const startup = median(startups);

    const randomFile = join(dir, 'upload.bin');
    await writeFile(randomFile, randomBytes(UPLOAD_MB * 1024 * 1024));
    let uploadStatus = 0;
    const uploadGrowth = await peakRssGrowthMb(async () => {
      uploadStatus = await upload(url, randomFile);
    });
    const thirty = join(dir, 'thirty.wav');
    const pcm = decodeWav(await readFile(CLIP)).samples;
    const repeated = new Int16Array(Math.ceil((30 * 16000) / pcm.length) * pcm.length);
    for (let at = 0; at < repeated.length; at += pcm.length) repeated.set(pcm, at);
    await writeFile(thirty, encodeWav(repeated, 16000));
    let thirtyMs = 0;
    const transcribeGrowth = await peakRssGrowthMb(async () => {
      thirtyMs = await sttMs(url, thirty);
    });

    console.log(
      `${(await stat(CLIP)).size} byte WAV, ${clipSeconds.toFixed(2)} s of speech, median of ${ROUNDS} alternating runs`,
    );
    console.log(
      `  pocketsphinx CLI alone      ${cliMedian.toFixed(0)} ms  (real-time factor ${(cliMedian / 1000 / clipSeconds).toFixed(2)})`,
    );
    console.log(
      `  POST /stt, warm decoder     ${sttMedian.toFixed(0)} ms  (real-time factor ${(sttMedian / 1000 / clipSeconds).toFixed(2)})`,
    );
    console.log(
      `  POST /stt, process decoder  ${processMedian.toFixed(0)} ms  (real-time factor ${(processMedian / 1000 / clipSeconds).toFixed(2)})`,
    );
    console.log(`  ratio /stt (warm) / CLI:    ${(sttMedian / cliMedian).toFixed(3)}  (goal <= 1.05)`);
    console.log(`  ratio /stt (process) / CLI: ${(processMedian / cliMedian).toFixed(3)}`);
    console.log(
      `decoder start-up (CLI on 0.1 s of silence): ${startup.toFixed(0)} ms = ${((startup / cliMedian) * 100).toFixed(0)} % of the clip's run`,
    );
    console.log(
      `  POST /stt of ${(repeated.length / 16000).toFixed(0)} s: ${thirtyMs.toFixed(0)} ms (real-time factor ${(thirtyMs / 1000 / (repeated.length / 16000)).toFixed(2)})`,
    );
    console.log(`peak RSS growth of the server process`);
    console.log(
      `  ${UPLOAD_MB} MB upload streamed to disk (answer ${uploadStatus}): ${uploadGrowth.toFixed(1)} MB`,
    );
    console.log(`  30 s WAV decoded and transcribed:          ${transcribeGrowth.toFixed(1)} MB`);
  } finally {
    await close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runSttBenchmark();
