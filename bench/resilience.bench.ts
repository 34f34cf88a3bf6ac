/**
 * Added latency of the per-engine resilience policy (bulkhead, breaker, retry, timeout):
 * the same engine called bare and through ResilientTtsEngine, in the same run. The engine
 * answers at once (a constant clip), so the difference is the wrapper alone; it is paid
 * once per chunk a request synthesises.
 *
 * Run after building: node dist/bench/resilience.bench.js (or `npm run bench`).
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { ResilienceConfig } from '../src/config/config.schema.js';
import type { AudioClip } from '../src/engines/ports/audio-clip.js';
import type { TtsEngine } from '../src/engines/ports/tts-engine.js';
import { ResilientTtsEngine } from '../src/engines/resilience/resilient-tts-engine.js';

const CALLS = Number(process.env.BENCH_RESILIENCE_CALLS ?? 50_000);
const CLIP: AudioClip = { samples: new Int16Array(256), sampleRate: 22050 };

/** An engine with no work of its own, so only the wrapper's cost is measured. */
const instantEngine: TtsEngine = {
  id: 'instant',
  type: 'bench',
  capabilities: () => ({
    streaming: false,
    wordTimestamps: false,
    cloning: false,
    supportedParams: [],
    sampleRate: 22050,
  }),
  listVoices: () => Promise.resolve([]),
  synthesize: () => Promise.resolve(CLIP),
  health: () => Promise.resolve({ available: true }),
  dispose: () => Promise.resolve(),
};

async function microsecondsPerCall(engine: TtsEngine, concurrency: number): Promise<number> {
  const request = { text: 'x', voiceId: 'v' };
  const warmUp = new AbortController().signal;
  for (let i = 0; i < 2000; i++) await engine.synthesize(request, warmUp);
  const started = performance.now();
  let remaining = CALLS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      // One signal per client, as each request has its own.
      const signal = new AbortController().signal;
      while (remaining-- > 0) await engine.synthesize(request, signal);
    }),
  );
  return ((performance.now() - started) * 1000) / CALLS;
}

export async function runResilienceBenchmark(): Promise<void> {
  const wrapped = new ResilientTtsEngine(instantEngine, new ResilienceConfig(), {
    logger: pino({ level: 'silent' }),
  });
  console.log(`${CALLS} calls each, default resilience settings`);
  for (const concurrency of [1, 8]) {
    const bare = await microsecondsPerCall(instantEngine, concurrency);
    const policy = await microsecondsPerCall(wrapped, concurrency);
    console.log(
      `  concurrency ${concurrency}: bare ${bare.toFixed(2)} µs/call, wrapped ${policy.toFixed(2)} µs/call, ` +
        `added ${(policy - bare).toFixed(2)} µs/call (ratio wrapped/bare ${(policy / bare).toFixed(1)})`,
    );
  }
  await wrapped.dispose();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runResilienceBenchmark();
