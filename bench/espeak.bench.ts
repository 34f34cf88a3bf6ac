/**
 * espeak-ng backends, in one run: the WASM worker pool (1 and 2 workers) and the native
 * espeak-ng program (when installed), all through EspeakTtsEngine as the gateway uses it.
 *
 * Per backend:
 *   - start: time until the engine answers listVoices() (WASM: the first worker has loaded
 *     the module; native: the pool is still needed for the voice list);
 *   - cold: the first synthesis of the short sentence, before any warm-up;
 *   - median latency of the 60-character sentence, of a 200-character text (the gateway's
 *     default chunk size) and of a ~1000-character paragraph, sequential, after a warm-up
 *     (the WASM build is wasm2js: V8 compiles it as it runs, so the first ~50 syntheses of
 *     an instance are slow);
 *   - throughput: short sentences per second with 8 requests in flight, and the p99 delay
 *     of this process's event loop meanwhile (what other requests of the gateway would feel:
 *     spawning a process blocks the event loop while the kernel copies the page tables).
 *
 * Run after building: node dist/bench/espeak.bench.js (or `npm run bench`).
 *
 * Environment:
 *   BENCH_ESPEAK_WARMUP      warm-up syntheses per worker before measuring (default 60)
 *   BENCH_ESPEAK_SHORT_RUNS  sequential short syntheses measured (default 30)
 *   BENCH_ESPEAK_LONG_RUNS   sequential long syntheses measured (default 10)
 *   BENCH_ESPEAK_BURST       short syntheses in the throughput run (default 200)
 *
 * Configurations run one after another, each engine disposed before the next starts: the
 * machine has 2 cores, and concurrent engines would compete for them.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { EspeakTtsEngine } from '../src/engines/adapters/espeak/espeak-tts.engine.js';
import { parseEspeakOptions } from '../src/engines/adapters/espeak/espeak-options.js';
import { clipDurationSeconds } from '../src/engines/ports/audio-clip.js';
import { lazyResampler } from '../src/engines/engine-resampler.js';

const WARMUP = Number(process.env.BENCH_ESPEAK_WARMUP ?? 60);
const SHORT_RUNS = Number(process.env.BENCH_ESPEAK_SHORT_RUNS ?? 30);
const LONG_RUNS = Number(process.env.BENCH_ESPEAK_LONG_RUNS ?? 10);
const BURST = Number(process.env.BENCH_ESPEAK_BURST ?? 200);
const IN_FLIGHT = 8;

const SHORT = 'The quick brown fox jumps over the lazy dog near the river!!';
const CHUNK =
  'Please remember that the library closes early on Fridays. Books returned after six o’clock go in the box ' +
  'by the side door, and anything borrowed from the reading room must stay inside the building today.';
const LONG =
  'Speech synthesis is the artificial production of human speech. A computer system used for this purpose is ' +
  'called a speech synthesizer, and can be implemented in software or hardware products. A text-to-speech ' +
  'system converts normal language text into speech; other systems render symbolic linguistic ' +
  'representations like phonetic transcriptions into speech. Synthesized speech can be created by ' +
  'concatenating pieces of recorded speech that are stored in a database. Systems differ in the size of the ' +
  'stored speech units; a system that stores phones or diphones provides the largest output range, but may ' +
  'lack clarity. For specific usage domains, the storage of entire words or sentences allows for ' +
  'high-quality output. Alternatively, a synthesizer can incorporate a model of the vocal tract and other ' +
  'human voice characteristics to create a completely synthetic voice output. The quality of a speech ' +
  'synthesizer is judged by its similarity to the human voice and by its ability to be understood clearly.';

interface Config {
  name: string;
  options: Record<string, unknown>;
  workers: number;
}

interface Row {
  name: string;
  startMs: number;
  coldMs: number;
  shortMs: number;
  chunkMs: number;
  longMs: number;
  perSecond: number;
  /** Seconds of audio per second of wall time in the throughput run. */
  realtime: number;
  loopP99Ms: number;
}

const never = new AbortController().signal;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function measure(config: Config): Promise<Row> {
  let started = performance.now();
  const engine = new EspeakTtsEngine(
    'espeak-bench',
    // The engine's own background warm-up is off: the bench warms up explicitly, then measures.
    parseEspeakOptions({ ...config.options, warmup_texts: 0 }),
    {
      logger: pino({ level: 'warn' }),
      folders: { referenceAudio: '/tmp', voices: '/tmp', outputs: '/tmp' },
      resample: lazyResampler,
    },
  );
  try {
    await engine.listVoices();
    const startMs = performance.now() - started;
    const synth = (text: string) => engine.synthesize({ text, voiceId: 'en-us' }, never);
    started = performance.now();
    await synth(SHORT);
    const coldMs = performance.now() - started;

    // Warm every worker: `workers` requests in flight so each instance gets its share.
    const warmups = Array.from({ length: WARMUP * config.workers }, (_, i) => (i % 4 === 3 ? LONG : SHORT));
    await Promise.all(
      Array.from({ length: config.workers }, async () => {
        for (let text = warmups.pop(); text !== undefined; text = warmups.pop()) await synth(text);
      }),
    );

    const timed = async (text: string, runs: number) => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await synth(text);
        times.push(performance.now() - t0);
      }
      return median(times);
    };
    const shortMs = await timed(SHORT, SHORT_RUNS);
    const chunkMs = await timed(CHUNK, SHORT_RUNS);
    const longMs = await timed(LONG, LONG_RUNS);

    let remaining = BURST;
    let audioSeconds = 0;
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (remaining-- > 0) {
          const clip = await synth(SHORT);
          audioSeconds += clipDurationSeconds(clip);
        }
      }),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    loopDelay.disable();
    return {
      name: config.name,
      startMs,
      coldMs,
      shortMs,
      chunkMs,
      longMs,
      perSecond: BURST / wallSeconds,
      realtime: audioSeconds / wallSeconds,
      loopP99Ms: loopDelay.percentile(99) / 1e6,
    };
  } finally {
    await engine.dispose();
  }
}

function printRow(row: Row): void {
  console.log(
    [
      row.name.padEnd(22),
      `${row.startMs.toFixed(0)} ms`.padStart(8),
      `${row.coldMs.toFixed(0)} ms`.padStart(8),
      `${row.shortMs.toFixed(1)} ms`.padStart(10),
      `${row.chunkMs.toFixed(1)} ms`.padStart(10),
      `${row.longMs.toFixed(1)} ms`.padStart(10),
      `${row.perSecond.toFixed(1)}/s`.padStart(9),
      `${row.realtime.toFixed(0)}×`.padStart(7),
      `${row.loopP99Ms.toFixed(1)} ms`.padStart(9),
    ].join('  '),
  );
}

export async function runEspeakBenchmark(): Promise<void> {
  const configs: Config[] = [
    { name: 'WASM, 1 worker', options: { backend: 'wasm', workers: 1 }, workers: 1 },
    { name: 'WASM, 2 workers', options: { backend: 'wasm', workers: 2 }, workers: 2 },
  ];
  const native = existsSync('/usr/bin/espeak-ng');
  if (native) {
    configs.push({
      name: 'native CLI (2 procs)',
      options: { backend: 'native', native_binary: '/usr/bin/espeak-ng', max_concurrent_native: 2 },
      workers: 2,
    });
  } else {
    console.log('native espeak-ng not installed (/usr/bin/espeak-ng): WASM rows only');
  }
  const load = loadavg()[0] ?? 0;
  console.log(
    `short ${SHORT.length}, chunk ${CHUNK.length}, long ${LONG.length} chars; warm-up ${WARMUP}/worker; ` +
      `throughput: ${BURST} short, ${IN_FLIGHT} in flight; ${availableParallelism()} cores, load ${load.toFixed(2)}`,
  );
  if (load > 0.5) console.log('warning: the machine is busy (load average above 0.5); numbers will be noisy');
  const headings = ['start', 'cold', 'short p50', 'chunk p50', 'long p50', 'short/s', 'audio', 'loop p99'];
  const widths = [8, 8, 10, 10, 10, 9, 7, 9];
  console.log(['backend'.padEnd(22), ...headings.map((h, i) => h.padStart(widths[i] ?? 8))].join('  '));
  const rows: Row[] = [];
  for (const config of configs) {
    const row = await measure(config);
    rows.push(row);
    printRow(row);
  }
  const [one, two, cli] = rows;
  if (one && two) {
    console.log(`ratio WASM 2 workers/1 worker: throughput ${(two.perSecond / one.perSecond).toFixed(2)}×`);
  }
  for (const wasm of [one, two]) {
    if (!wasm || !cli) continue;
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log(
      `ratio native/${wasm.name}: latency short ${ratio(cli.shortMs, wasm.shortMs)}, ` +
        `chunk ${ratio(cli.chunkMs, wasm.chunkMs)}, long ${ratio(cli.longMs, wasm.longMs)} (below 1 = native faster); ` +
        `throughput ${ratio(cli.perSecond, wasm.perSecond)}× (above 1 = native more)`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runEspeakBenchmark();
