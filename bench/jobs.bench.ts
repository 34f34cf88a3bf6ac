/**
 * Background jobs (POST /jobs), through the real gateway on PostgreSQL with espeak-ng:
 *
 *   - submit-to-start: for BENCH_JOBS_RUNS short TTS jobs submitted one after another (the
 *     queue idle), started_at − created_at of each (both stamped by the database), median
 *     and p95, once per queue: pg-boss (polls every 0.5 s, so the idle pickup is 0–0.5 s plus
 *     the claim) and BullMQ on Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379; a
 *     blocking pop, so the pickup is the claim); `BENCH_REDIS_URL=` skips the Redis run;
 *   - a BENCH_JOBS_CHARS-character TTS job to WAV: wall time from submit to completed, and
 *     the growth of this process's peak RSS over its baseline while it ran (the gateway runs
 *     in this process; sampled every 100 ms), against the espeak-ng program alone on the
 *     same text (`espeak-ng -w out.wav -f text`), its time and its peak RSS (/usr/bin/time -f %M).
 *
 * Run after building: node dist/bench/jobs.bench.js (or `npm run bench`).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startBenchGateway } from './bench-gateway.js';

const RUNS = Number(process.env.BENCH_JOBS_RUNS ?? 20);
const CHARS = Number(process.env.BENCH_JOBS_CHARS ?? 100_000);
const PARAGRAPH =
  'Speech synthesis is the artificial production of human speech. A computer system used for this purpose is ' +
  'called a speech synthesizer, and can be implemented in software or hardware products. ';

interface JobView {
  status: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  result?: { duration_seconds: number; bytes: number };
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  const body = (await response.json()) as { data: T };
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.data;
}

async function submit(url: string, input: Record<string, unknown>): Promise<string> {
  const data = await json<{ job_id: string }>(`${url}/jobs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'tts', input }),
  });
  return data.job_id;
}

async function finished(url: string, id: string): Promise<JobView> {
  for (;;) {
    const job = await json<JobView>(`${url}/jobs/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const GATEWAY_CONFIG = {
  auth: { enforce: false },
  features: { library_integration: true },
  engines: { tts: [{ id: 'espeak', type: 'espeak', options: { backend: 'auto', workers: 1 } }] },
};

/** started_at − created_at of RUNS short jobs, each submitted to an idle queue. */
async function measurePickups(url: string, queue: string): Promise<void> {
  await finished(url, await submit(url, { text: 'Warm up.' }));
  const pickups: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const job = await finished(url, await submit(url, { text: `Sentence number ${i}.` }));
    pickups.push(Date.parse(job.started_at ?? '') - Date.parse(job.created_at));
    // Let the queue go idle again (the next submit is a fresh pickup, not a busy worker's next fetch).
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  console.log(
    `submit-to-start, ${queue} (${RUNS} jobs, idle queue): median ${quantile(pickups, 0.5)} ms, p95 ${quantile(pickups, 0.95)} ms`,
  );
}

export async function runJobsBenchmark(): Promise<void> {
  if (REDIS_URL) {
    const prefix = `sg-bench-${randomBytes(5).toString('hex')}`;
    const r = await startBenchGateway('jobs-redis', {
      ...GATEWAY_CONFIG,
      rate_limits: { redis_url: REDIS_URL },
      routers: { core: { jobs: { queue: 'redis', redis_key_prefix: prefix } } },
    });
    try {
      await measurePickups(r.url, 'BullMQ on Redis');
    } finally {
      await r.close();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  }
  const g = await startBenchGateway('jobs', GATEWAY_CONFIG);
  try {
    await measurePickups(g.url, 'pg-boss in PostgreSQL');

    const text = PARAGRAPH.repeat(Math.ceil(CHARS / PARAGRAPH.length)).slice(0, CHARS);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const started = performance.now();
    const job = await finished(g.url, await submit(g.url, { text, response_format: 'wav' }));
    const jobSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    console.log(
      `${CHARS}-character job: ${job.status}, ${jobSeconds.toFixed(1)} s wall, ` +
        `${job.result?.duration_seconds.toFixed(0)} s of audio, ${((job.result?.bytes ?? 0) / 1e6).toFixed(1)} MB WAV, ` +
        `gateway RSS +${((peak - baseline) / 1e6).toFixed(0)} MB over ${(baseline / 1e6).toFixed(0)} MB`,
    );

    const textPath = join(g.dir, 'text.txt');
    await writeFile(textPath, text);
    const cliStarted = performance.now();
    const { stderr } = await promisify(execFile)('/usr/bin/time', [
      '-f',
      '%M',
      'espeak-ng',
      '-w',
      join(g.dir, 'cli.wav'),
      '-f',
      textPath,
    ]);
    const cliSeconds = (performance.now() - cliStarted) / 1000;
    const cliPeakKb = Number(stderr.trim().split('\n').at(-1));
    console.log(
      `espeak-ng CLI, same text: ${cliSeconds.toFixed(1)} s wall, peak RSS ${(cliPeakKb / 1000).toFixed(0)} MB`,
    );
  } finally {
    await g.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runJobsBenchmark();
}
