/**
 * /tts in one run:
 *   1. throughput of POST /tts for a short sentence (cache off) against calling the same
 *      engine directly in-process with the same concurrency (ratio; goal ≥ 0.9);
 *   2. a cached /tts answer against a bare node:http server sending the same bytes (ratio);
 *   3. time to first audio against total time for 2,000 characters streamed as mp3.
 *
 * Run after building: node dist/bench/tts.bench.js (or `npm run bench` for every benchmark).
 * BENCH_TTS_DURATION_S sets seconds per measurement (default 5). Servers run one after
 * the other in this process; autocannon runs in a worker thread. The keyless development
 * user is on a plan no request can reach, so only 2xx answers count: any other answer
 * (a 429 would once have been counted as throughput) fails the benchmark.
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { TtsEngineRegistry } from '../src/engines/tts-engine-registry.js';
import { startBenchGateway } from './bench-gateway.js';
import { UNLIMITED_PLAN_CONFIG } from './unlimited-plan.js';

const DURATION_S = Number(process.env.BENCH_TTS_DURATION_S ?? 5);
const CONCURRENCY = 4;
const SENTENCE = 'The quick brown fox jumps over the lazy dog.';

/** 2xx answers per second; throws on any other answer, connection error or timeout. */
async function requestsPerSecond(url: string, body: string): Promise<{ rps: number; p50: number }> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONCURRENCY,
    duration: DURATION_S,
    workers: 1,
  });
  const failures = result.non2xx + result.errors + result.timeouts;
  if (failures > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts ` +
        `(of ${result.requests.total}); statuses ${JSON.stringify(statusCounts(result))}`,
    );
  }
  return { rps: result['2xx'] / result.duration, p50: result.latency.p50 };
}

/** autocannon's answer counts per status class, for the error message. */
function statusCounts(result: autocannon.Result): Record<string, number> {
  return {
    '1xx': result['1xx'],
    '2xx': result['2xx'],
    '3xx': result['3xx'],
    '4xx': result['4xx'],
    '5xx': result['5xx'],
  };
}

/** The same work as /tts minus HTTP and the gateway: CONCURRENCY loops calling the engine. */
async function engineCallsPerSecond(registry: TtsEngineRegistry): Promise<number> {
  const lease = registry.lease('espeak');
  if ('unavailable' in lease) throw new Error(lease.unavailable);
  const deadline = performance.now() + DURATION_S * 1000;
  let calls = 0;
  const started = performance.now();
  const signal = new AbortController().signal;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await lease.engine.synthesize({ text: SENTENCE, voiceId: 'en-us', speed: 1 }, signal);
        calls++;
      }
    }),
  );
  lease.release();
  return calls / ((performance.now() - started) / 1000);
}

async function bareServerRps(bytes: Buffer, contentType: string): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length });
      res.end(bytes);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return (await requestsPerSecond(`http://127.0.0.1:${port}/tts`, JSON.stringify({ text: SENTENCE }))).rps;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

async function streamTiming(
  url: string,
  text: string,
): Promise<{ firstMs: number; totalMs: number; bytes: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/tts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text, stream: true, response_format: 'mp3' }),
  });
  if (response.status !== 200 || !response.body) {
    throw new Error(`streaming /tts answered ${response.status}: ${await response.text()}`);
  }
  let firstMs = 0;
  let bytes = 0;
  for await (const chunk of response.body) {
    if (bytes === 0) firstMs = performance.now() - started;
    bytes += (chunk as Uint8Array).length;
  }
  return { firstMs, totalMs: performance.now() - started, bytes };
}

export async function runTtsBenchmark(): Promise<void> {
  const { gateway, url, close } = await startBenchGateway('tts', {
    ...UNLIMITED_PLAN_CONFIG,
    auth: { ...UNLIMITED_PLAN_CONFIG.auth, enforce: false },
    features: { library_integration: true },
    routers: { core: { tts: { cache: { enabled: false } } } },
    engines: { tts: [{ id: 'espeak', type: 'espeak', options: { backend: 'auto' } }] },
  });
  try {
    const registry = gateway.app.get(TtsEngineRegistry);
    // Voices are seeded in the background at start; wait for the one we use.
    for (let i = 0; i < 600; i++) {
      const res = await fetch(`${url}/tts/voices?language=en-us`);
      const body = (await res.json()) as { data?: { voices?: unknown[] } };
      if ((body.data?.voices?.length ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const body = JSON.stringify({ text: SENTENCE, voice: 'en-us' });
    await requestsPerSecond(`${url}/tts`, body); // warm-up: JIT, workers, ffmpeg-free wav path

    const direct = await engineCallsPerSecond(registry);
    const app = await requestsPerSecond(`${url}/tts`, body);

    await gateway.config.patch({ routers: { core: { tts: { cache: { enabled: true } } } } });
    const cachedResponse = await fetch(`${url}/tts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const cachedBytes = Buffer.from(await cachedResponse.arrayBuffer());
    if (cachedResponse.status !== 200) {
      throw new Error(`POST /tts answered ${cachedResponse.status}: ${cachedBytes.toString('utf8')}`);
    }
    const cached = await requestsPerSecond(`${url}/tts`, body);

    const text = 'A long passage for streaming, sentence after sentence. '.repeat(40).slice(0, 2000);
    await gateway.config.patch({ routers: { core: { tts: { cache: { enabled: false } } } } });
    const streamed = await streamTiming(url, text);

    await gateway.close();
    const bare = await bareServerRps(cachedBytes, 'audio/wav');

    console.log(`short sentence (${SENTENCE.length} chars), ${CONCURRENCY} concurrent, ${DURATION_S} s each`);
    console.log(`  engine called directly      ${direct.toFixed(1)} syntheses/s`);
    console.log(`  POST /tts (cache off)       ${app.rps.toFixed(1)} req/s  p50 ${app.p50} ms`);
    console.log(`  ratio /tts / direct engine: ${(app.rps / direct).toFixed(2)}  (goal >= 0.9)`);
    console.log(`cached answer (${cachedBytes.length} bytes wav)`);
    console.log(`  POST /tts (cache hit)       ${cached.rps.toFixed(1)} req/s`);
    console.log(`  bare node:http same bytes   ${bare.toFixed(1)} req/s`);
    console.log(`  ratio cached /tts / bare:   ${(cached.rps / bare).toFixed(2)}`);
    console.log(`streaming ${text.length} chars as mp3`);
    console.log(
      `  first audio after ${streamed.firstMs.toFixed(0)} ms, complete after ${streamed.totalMs.toFixed(0)} ms (${streamed.bytes} bytes)`,
    );
    console.log(`  ratio first audio / total:  ${(streamed.firstMs / streamed.totalMs).toFixed(2)}`);
  } finally {
    await close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runTtsBenchmark();
