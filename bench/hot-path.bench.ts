/**
 * The hot paths of the gateway against their limits, each limit re-measured in the same run,
 * printed as one table (id, what, gateway, limit, ratio, goal, PASS/MISS/ERROR) and saved as
 * JSON. See bench/README.md for what each row measures.
 *
 *   P0   GET /health, 50 connections, vs a bare node:http server sending the same bytes
 *   P0'  GET /health/live, the same
 *   P1c  cached POST /tts, 16 connections, vs a bare server sending the same WAV bytes
 *   P2   cached /tts with key check + rate limits + metering vs all three off, on
 *        PostgreSQL and on the embedded database
 *   P5   500 keep-alive connections on cached /tts: p50/p95/p99 and errors
 *   P1u  uncached /tts, a different short sentence per request, vs `espeak-ng -w`, c=4, c=16
 *   P3   2,000 characters streamed: first byte vs the engine's first chunk alone, total vs
 *        the espeak-ng program on the whole text, mp3 first byte vs wav first byte
 *   L    100,000 characters, not streamed: time vs the espeak-ng program, peak RSS growth
 *        vs the output's size, RSS 10 s later
 *   P6   idle RSS after start: the embedded default (process tree), PostgreSQL mode (node)
 *
 * The gateway runs in a child process started from the shipped config/config.yaml (with a
 * plan no request can reach, so any non-2xx is an ERROR); the bare servers in another. Each
 * gateway/limit pair is measured in halves A B B A so that machine load drifting over time
 * hits both sides alike.
 *
 * Run after building: node dist/bench/hot-path.bench.js (or `npm run bench` for every benchmark).
 * Environment (defaults in brackets): BENCH_HOT_PATH_DURATION_S [4] measured seconds per side
 * of a throughput row; BENCH_HOT_PATH_WARMUP_S [1]; BENCH_HOT_PATH_P5_DURATION_S [5];
 * BENCH_HOT_PATH_P5_CONNECTIONS [500]; BENCH_HOT_PATH_P5_THINK_MS [0]; BENCH_HOT_PATH_P3_ROUNDS
 * [3]; BENCH_HOT_PATH_P3_CHARS [2000]; BENCH_HOT_PATH_LONG_CHARS [100000];
 * BENCH_HOT_PATH_SETTLE_S [10]; BENCH_HOT_PATH_IDLE_S [5]; BENCH_HOT_PATH_ONLY (ids, comma
 * separated, e.g. P0,P5); BENCH_HOT_PATH_OUTPUT [bench/results/hot-path.json];
 * BENCH_HOT_PATH_LOGGING=1 keeps per-request logging on; BENCH_DATABASE_URL.
 */
import 'reflect-metadata';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { splitIntoChunks } from '../src/tts/text-chunker.js';
import { autocannonSegment, type Merged, mergeSegments, type Segment } from './autocannon-segment.js';
import { startBareServer, type BareServer } from './bare-server.js';
import { espeakCli, espeakCliThroughput } from './espeak-cli.js';
import { ChildGateway, SHIPPED_CONFIG } from './hot-path-gateway.js';
import {
  errorRow,
  formatTable,
  type Goal,
  goalText,
  judge,
  type ResultRow,
  writeJson,
} from './hot-path-report.js';
import { keepAliveLoad, type KeepAliveLoadResult, percentile } from './keep-alive-load.js';
import {
  endedChildrenCpuMs,
  otherBusyCores,
  processRssBytes,
  sampleTreeRss,
  treeCpuMs,
  treeRss,
} from './process-tree.js';
import { timedRequest } from './timed-request.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const DURATION_S = env('BENCH_HOT_PATH_DURATION_S', 4);
const WARMUP_S = env('BENCH_HOT_PATH_WARMUP_S', 1);
const P5_DURATION_S = env('BENCH_HOT_PATH_P5_DURATION_S', 5);
const P5_CONNECTIONS = env('BENCH_HOT_PATH_P5_CONNECTIONS', 500);
const P5_THINK_MS = env('BENCH_HOT_PATH_P5_THINK_MS', 0);
const P3_ROUNDS = env('BENCH_HOT_PATH_P3_ROUNDS', 3);
const P3_CHARS = env('BENCH_HOT_PATH_P3_CHARS', 2000);
const LONG_CHARS = env('BENCH_HOT_PATH_LONG_CHARS', 100_000);
const SETTLE_S = env('BENCH_HOT_PATH_SETTLE_S', 10);
const IDLE_S = env('BENCH_HOT_PATH_IDLE_S', 5);
const ONLY = new Set(
  (process.env.BENCH_HOT_PATH_ONLY ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean),
);
const OUTPUT =
  process.env.BENCH_HOT_PATH_OUTPUT ??
  fileURLToPath(new URL('../../bench/results/hot-path.json', import.meta.url));

const SENTENCE = 'The quick brown fox jumps over the lazy dog.';
const VOICE = 'en-us';
const PARAGRAPH =
  'Speech synthesis is the artificial production of human speech. A computer system used for this purpose is ' +
  'called a speech synthesizer, and can be implemented in software or hardware products. ';
const MB = 1024 * 1024;

const selected = (id: string) => ONLY.size === 0 || ONLY.has(id);

/**
 * The n-th short sentence (about 50 characters), a different one for every n, all about
 * the same length: an uncached /tts and the espeak-ng program get the same kind of text.
 */
function sentence(n: number): string {
  const adjectives = ['quick', 'quiet', 'brave', 'gentle', 'clever', 'happy', 'patient', 'curious'];
  const animals = ['fox', 'otter', 'badger', 'heron', 'rabbit', 'falcon', 'beaver', 'weasel'];
  const verbs = [
    'jumps over',
    'runs past',
    'waits for',
    'looks at',
    'walks by',
    'calls to',
    'follows',
    'greets',
  ];
  const places = ['river', 'garden', 'station', 'market', 'harbour', 'meadow', 'bridge', 'library'];
  const pick = (list: string[], shift: number) => list[Math.floor(n / 8 ** shift) % 8] ?? '';
  const round = Math.floor(n / 8 ** 4);
  return (
    `The ${pick(adjectives, 0)} ${pick(animals, 1)} ${pick(verbs, 2)} the dog near the ${pick(places, 3)}` +
    `${round > 0 ? `, take ${round}` : ''}.`
  );
}

/** A different text of `length` characters each call (a cache never answers it). */
let textCounter = 0;
function longText(length: number): string {
  textCounter++;
  const head = `Reading number ${textCounter}. `;
  return (head + PARAGRAPH.repeat(Math.ceil(length / PARAGRAPH.length) + 1)).slice(0, length);
}

interface Side {
  /** Runs before each of this side's halves, unmeasured (e.g. a live config switch). */
  before?: () => Promise<void>;
  measure: (seconds: number) => Promise<Segment>;
}

/** A B B A: each side DURATION_S in two halves placed symmetrically in time. */
async function abba(a: Side, b: Side): Promise<[Merged, Merged]> {
  const segments: [Segment[], Segment[]] = [[], []];
  for (const index of [0, 1, 1, 0] as const) {
    const side = index === 0 ? a : b;
    await side.before?.();
    segments[index].push(await side.measure(DURATION_S / 2));
  }
  return [mergeSegments(segments[0]), mergeSegments(segments[1])];
}

const perSecond = (value: number) => `${value.toFixed(value < 100 ? 1 : 0)} req/s`;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const megabytes = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
};

/** A throughput row: gateway / limit in req/s, with the CPU per request of both. */
function throughputRow(id: string, what: string, gateway: Merged, limit: Merged, goal: Goal): ResultRow {
  const ratio = gateway.requestsPerSecond / limit.requestsPerSecond;
  const failures = gateway.failures + limit.failures;
  return {
    id,
    what,
    gateway: perSecond(gateway.requestsPerSecond),
    limit: perSecond(limit.requestsPerSecond),
    ratio,
    goal: goalText(goal),
    status: judge(ratio, goal, failures),
    note:
      `CPU/req ${gateway.cpuUsPerRequest.toFixed(0)} vs ${limit.cpuUsPerRequest.toFixed(0)} µs ` +
      `(${(gateway.cpuUsPerRequest / limit.cpuUsPerRequest).toFixed(1)}×)` +
      (failures > 0 ? `; ${gateway.failures} + ${limit.failures} failed requests` : ''),
    data: { gateway, limit },
  };
}

/** A keep-alive load run as an autocannon-like segment (CPU of the gateway tree meanwhile). */
async function keepAliveSegment(
  pid: number,
  run: () => Promise<KeepAliveLoadResult>,
): Promise<{ segment: Segment; result: KeepAliveLoadResult }> {
  const cpuBefore = await treeCpuMs(pid);
  const result = await run();
  return {
    result,
    segment: {
      ok: result.ok,
      seconds: result.seconds,
      p50Ms: percentile(result.latenciesMs, 0.5),
      p99Ms: percentile(result.latenciesMs, 0.99),
      cpuMs: (await treeCpuMs(pid)) - cpuBefore,
      non2xx: result.non2xx,
      errors: result.errors,
    },
  };
}

interface TtsClient {
  headers: Record<string, string>;
  /** The exact bytes of the cached SENTENCE answer (wav). */
  cachedWav: Buffer;
}

/** A key on the unlimited plan, the voices seeded, and SENTENCE in the cache. */
async function prepareTts(gateway: ChildGateway): Promise<TtsClient> {
  const token = await gateway.createKey();
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  for (let i = 0; ; i++) {
    const res = await fetch(`${gateway.url}/tts/voices?language=${VOICE}`, { headers });
    const body = (await res.json()) as { data?: { voices?: unknown[] } };
    if ((body.data?.voices?.length ?? 0) > 0) break;
    if (i > 600) throw new Error(`voice ${VOICE} never appeared in /tts/voices (${res.status})`);
    await sleep(100);
  }
  let cachedWav = Buffer.alloc(0);
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${gateway.url}/tts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ text: SENTENCE, voice: VOICE }),
    });
    cachedWav = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200)
      throw new Error(`POST /tts answered ${res.status}: ${cachedWav.toString('utf8')}`);
  }
  return { headers, cachedWav };
}

/** P2: cached /tts with auth + rate limits + metering on (shipped) vs all off, live-switched. */
async function measureAccounting(
  gateway: ChildGateway,
  client: TtsClient,
  label: string,
): Promise<ResultRow> {
  const body = JSON.stringify({ text: SENTENCE, voice: VOICE });
  const request = (headers: Record<string, string>) => (seconds: number) =>
    autocannonSegment({
      url: `${gateway.url}/tts`,
      method: 'POST',
      headers,
      body,
      connections: 16,
      seconds,
      serverPid: gateway.pid,
    });
  const on = () => gateway.patch({ auth: { enforce: true, metering: true }, rate_limits: { enabled: true } });
  const off = () =>
    gateway.patch({ auth: { enforce: false, metering: false }, rate_limits: { enabled: false } });
  const keyless = { 'content-type': 'application/json' };
  try {
    await off();
    await request(keyless)(WARMUP_S);
    // off on on off: B A A B with B = off, so the shipped state is the "gateway" side.
    const [offRow, onRow] = await abba(
      { before: off, measure: request(keyless) },
      { before: on, measure: request(client.headers) },
    );
    return throughputRow('P2', `cached /tts key+limits+metering on vs off, c=16, ${label}`, onRow, offRow, {
      op: '>=',
      value: 0.8,
    });
  } finally {
    await on();
  }
}

async function measureEmbedded(rows: ResultRow[]): Promise<void> {
  const gateway = await ChildGateway.start('hot-embedded', 'embedded', ttsLimits());
  try {
    await section(rows, 'P6', 'idle RSS, embedded default (process tree)', '≤ 350 MB', async () => {
      await sleep(IDLE_S * 1000);
      const tree = await treeRss(gateway.pid);
      rows.push({
        id: 'P6',
        what: `idle RSS, embedded default (process tree), ${IDLE_S} s after start`,
        gateway: megabytes(tree.totalBytes),
        limit: '—',
        ratio: null,
        goal: '≤ 350 MB',
        status: judge(tree.totalBytes / MB, { op: '<=', value: 350 }, 0),
        note:
          tree.processes.map((p) => `${p.name.split('/').pop()} ${megabytes(p.rssBytes)}`).join(', ') +
          `; PSS sum ${megabytes(tree.totalPssBytes)}`,
        data: { ...tree },
      });
    });
    await section(rows, 'P2', 'cached /tts accounting on vs off, embedded db', '≥ 0.8', async () => {
      const client = await prepareTts(gateway);
      rows.push(await measureAccounting(gateway, client, 'embedded db'));
    });
  } finally {
    reportProblems(gateway, 'embedded-database');
    await gateway.close();
  }
}

/** The bench's config on top of the shipped one: room for the long-text row. */
function ttsLimits(): Record<string, unknown> {
  return {
    routers: {
      core: { tts: { max_text_length: Math.max(5000, LONG_CHARS), max_audio_seconds: 86_400 } },
    },
  };
}

/** Warnings or errors the gateway logged: they fail no row, but are worth a look. */
function reportProblems(gateway: ChildGateway, label: string): void {
  // The first start on a new database creates the admin and says so: expected.
  const problems = gateway.problems.filter((line) => !line.includes('no admin existed'));
  if (problems.length === 0) return;
  const message = (line: string) => {
    try {
      return (JSON.parse(line) as { msg?: string }).msg ?? line;
    } catch {
      return line;
    }
  };
  const distinct = [...new Set(problems.map(message))];
  console.log(
    `the ${label} gateway logged ${problems.length} warnings/errors: ${distinct.slice(0, 5).join(' | ')}`,
  );
}

async function measureHealth(
  rows: ResultRow[],
  gateway: ChildGateway,
  bare: BareServer,
  path: '/health' | '/health/live',
  id: string,
  goal: Goal,
): Promise<void> {
  const side = (url: string, pid: number) => ({
    measure: (seconds: number) =>
      autocannonSegment({ url: `${url}${path}`, connections: 50, seconds, serverPid: pid }),
  });
  await side(gateway.url, gateway.pid).measure(WARMUP_S);
  await side(bare.url, bare.pid).measure(WARMUP_S);
  const [app, limit] = await abba(side(gateway.url, gateway.pid), side(bare.url, bare.pid));
  rows.push(throughputRow(id, `GET ${path}, c=50, vs bare node:http same bytes`, app, limit, goal));
}

async function measureCachedVsBare(
  rows: ResultRow[],
  gateway: ChildGateway,
  client: TtsClient,
  bare: BareServer,
): Promise<void> {
  const body = JSON.stringify({ text: SENTENCE, voice: VOICE });
  const side = (url: string, pid: number, headers: Record<string, string>) => ({
    measure: (seconds: number) =>
      autocannonSegment({
        url: `${url}/tts`,
        method: 'POST',
        headers,
        body,
        connections: 16,
        seconds,
        serverPid: pid,
      }),
  });
  const app = side(gateway.url, gateway.pid, client.headers);
  const limit = side(bare.url, bare.pid, { 'content-type': 'application/json' });
  await app.measure(WARMUP_S);
  await limit.measure(WARMUP_S);
  const [a, b] = await abba(app, limit);
  rows.push(
    throughputRow('P1c', `cached POST /tts (${client.cachedWav.length} B wav), c=16, vs bare`, a, b, {
      op: '>=',
      value: 0.35,
    }),
  );
}

async function measureManyConnections(
  rows: ResultRow[],
  gateway: ChildGateway,
  client: TtsClient,
): Promise<void> {
  const body = JSON.stringify({ text: SENTENCE, voice: VOICE });
  const run = (seconds: number) =>
    keepAliveLoad({
      url: `${gateway.url}/tts`,
      method: 'POST',
      headers: client.headers,
      body: () => body,
      connections: P5_CONNECTIONS,
      durationMs: seconds * 1000,
      thinkMs: P5_THINK_MS,
    });
  await run(WARMUP_S);
  const { result, segment } = await keepAliveSegment(gateway.pid, () => run(P5_DURATION_S));
  const p50 = percentile(result.latenciesMs, 0.5);
  const p95 = percentile(result.latenciesMs, 0.95);
  const p99 = percentile(result.latenciesMs, 0.99);
  const failures = result.non2xx + result.errors;
  const met = failures === 0 && p95 < 250 && p99 < 500;
  rows.push({
    id: 'P5',
    what: `${P5_CONNECTIONS} keep-alive connections, cached /tts, ${P5_DURATION_S} s`,
    gateway: `p50 ${ms(p50)} / p95 ${ms(p95)} / p99 ${ms(p99)}`,
    limit: '—',
    ratio: null,
    goal: '0 errors, p95 < 250 ms, p99 < 500 ms',
    status: failures > 0 ? 'ERROR' : met ? 'PASS' : 'MISS',
    note:
      `${perSecond(result.ok / result.seconds)}, ${result.errors} errors, ${result.non2xx} non-2xx, ` +
      `${result.sockets} sockets, max ${ms(result.latenciesMs.at(-1) ?? NaN)}, ` +
      `CPU/req ${((segment.cpuMs * 1000) / Math.max(result.ok, 1)).toFixed(0)} µs` +
      (result.firstError ? `; first error: ${result.firstError}` : ''),
    data: {
      ok: result.ok,
      seconds: result.seconds,
      p50,
      p95,
      p99,
      maxMs: result.latenciesMs.at(-1),
      statuses: result.statuses,
      errors: result.errors,
      sockets: result.sockets,
      thinkMs: P5_THINK_MS,
      cpuMs: segment.cpuMs,
    },
  });
}

async function measureUncached(
  rows: ResultRow[],
  gateway: ChildGateway,
  client: TtsClient,
  scratch: string,
): Promise<void> {
  // Separate counters: the gateway never sees a sentence twice (the cache would answer it).
  let gatewayCount = 0;
  let cliCount = 0;
  const nextGatewayBody = () => JSON.stringify({ text: sentence(gatewayCount++), voice: VOICE });
  for (const concurrency of [4, 16]) {
    const app: Side = {
      measure: async (seconds) =>
        (
          await keepAliveSegment(gateway.pid, () =>
            keepAliveLoad({
              url: `${gateway.url}/tts`,
              method: 'POST',
              headers: client.headers,
              body: nextGatewayBody,
              connections: concurrency,
              durationMs: seconds * 1000,
            }),
          )
        ).segment,
    };
    const cli: Side = {
      measure: async (seconds) => {
        const cpuBefore = await endedChildrenCpuMs();
        const { runs, seconds: elapsed } = await espeakCliThroughput(
          () => sentence(cliCount++),
          concurrency,
          seconds * 1000,
          scratch,
        );
        const cpuMs = (await endedChildrenCpuMs()) - cpuBefore;
        return { ok: runs, seconds: elapsed, p50Ms: NaN, p99Ms: NaN, cpuMs, non2xx: 0, errors: 0 };
      },
    };
    await app.measure(WARMUP_S);
    await cli.measure(WARMUP_S);
    const [a, b] = await abba(app, cli);
    const row = throughputRow('P1u', `uncached /tts short sentence vs espeak-ng -w, c=${concurrency}`, a, b, {
      op: '>=',
      value: 0.9,
    });
    row.note = `gateway p50 ${ms(a.p50Ms)}; ${row.note}`;
    rows.push(row);
  }
}

async function measureStreaming(
  rows: ResultRow[],
  gateway: ChildGateway,
  client: TtsClient,
  scratch: string,
): Promise<void> {
  const shipped = parse(await readFile(SHIPPED_CONFIG, 'utf8')) as { gen?: { chunk_size?: number } };
  const chunkSize = shipped.gen?.chunk_size ?? 200;
  const samples = { wavFirst: [] as number[], wavTotal: [] as number[], mp3First: [] as number[] };
  const engineFirst: number[] = [];
  const cliTotal: number[] = [];
  const failures: string[] = [];
  const stream = async (text: string, format: 'wav' | 'mp3') => {
    const answer = await timedRequest(`${gateway.url}/tts`, {
      method: 'POST',
      headers: client.headers,
      body: JSON.stringify({ text, voice: VOICE, stream: true, response_format: format }),
    });
    if (answer.status !== 200)
      failures.push(`${format} stream answered ${answer.status}: ${answer.errorBody}`);
    return answer;
  };
  const textFile = join(scratch, 'p3.txt');
  let firstChunkLength = 0;
  // One unmeasured round first: the mp3 encoder's first start, the JIT.
  for (let round = -1; round < P3_ROUNDS; round++) {
    const text = longText(P3_CHARS);
    const firstChunk = splitIntoChunks(text, chunkSize)[0] ?? text;
    firstChunkLength = firstChunk.length;
    await writeFile(textFile, text);
    const steps: Array<() => Promise<void>> = [
      async () => {
        const a = await stream(text, 'wav');
        if (round < 0) return;
        samples.wavFirst.push(a.firstByteMs);
        samples.wavTotal.push(a.totalMs);
      },
      async () => {
        const a = await stream(longText(P3_CHARS), 'mp3');
        if (round >= 0) samples.mp3First.push(a.firstByteMs);
      },
      async () => {
        const [time] = await gateway.engineSynthesisMs(firstChunk, 1);
        if (round >= 0 && time !== undefined) engineFirst.push(time);
      },
      async () => {
        const time = await espeakCli({ file: textFile }, join(scratch, 'p3.wav'));
        if (round >= 0) cliTotal.push(time);
      },
    ];
    for (const step of round % 2 === 0 ? steps : [...steps].reverse()) await step();
  }
  const failed = failures.length;
  const note = (extra: string) => (failed > 0 ? `${failures[0]}` : extra);
  const first = median(samples.wavFirst);
  const engine = median(engineFirst);
  const total = median(samples.wavTotal);
  const cli = median(cliTotal);
  const mp3 = median(samples.mp3First);
  const row = (id: string, what: string, a: number, b: number, goal: Goal, extra: string): ResultRow => ({
    id,
    what,
    gateway: ms(a),
    limit: ms(b),
    ratio: a / b,
    goal: `${goalText(goal)}×`,
    status: judge(a / b, goal, failed),
    note: note(extra),
    data: { gatewayMs: a, limitMs: b, samples, engineFirst, cliTotal },
  });
  rows.push(
    row(
      'P3',
      `${P3_CHARS} chars streamed (wav): first byte vs engine's first chunk alone`,
      first,
      engine,
      { op: '<=', value: 1.3 },
      `median of ${P3_ROUNDS}; first chunk ${firstChunkLength} chars`,
    ),
    row(
      'P3',
      `${P3_CHARS} chars streamed (wav): total vs espeak-ng CLI whole text`,
      total,
      cli,
      { op: '<=', value: 1.5 },
      `median of ${P3_ROUNDS}`,
    ),
    row(
      'P3',
      `${P3_CHARS} chars streamed: mp3 first byte vs wav first byte`,
      mp3,
      first,
      { op: '<=', value: 1.5 },
      `median of ${P3_ROUNDS}`,
    ),
  );
}

async function measureLongText(
  rows: ResultRow[],
  gateway: ChildGateway,
  client: TtsClient,
  scratch: string,
): Promise<void> {
  const text = longText(LONG_CHARS);
  const textFile = join(scratch, 'long.txt');
  await writeFile(textFile, text);
  await sleep(1000);
  const baseline = (await treeRss(gateway.pid)).totalBytes;
  const gatewayCpuBefore = await treeCpuMs(gateway.pid);
  const sampler = sampleTreeRss(gateway.pid, 50);
  const answer = await timedRequest(`${gateway.url}/tts`, {
    method: 'POST',
    headers: client.headers,
    body: JSON.stringify({ text, voice: VOICE, response_format: 'wav' }),
  }).catch(async (error: unknown) => {
    await sampler.stop();
    throw error;
  });
  const { peakBytes, samples } = await sampler.stop();
  const gatewayCpuMs = (await treeCpuMs(gateway.pid)) - gatewayCpuBefore;
  await sleep(SETTLE_S * 1000);
  const after = (await treeRss(gateway.pid)).totalBytes;
  const cliCpuBefore = await endedChildrenCpuMs();
  const cliMs = await espeakCli({ file: textFile }, join(scratch, 'long.wav'));
  const cliCpuMs = (await endedChildrenCpuMs()) - cliCpuBefore;
  const failed = answer.status === 200 ? 0 : 1;
  const failure = failed ? `answered ${answer.status}: ${answer.errorBody}` : '';
  const output = answer.bytes;
  const growth = peakBytes - baseline;
  const kept = after - baseline;
  const data = {
    gatewayMs: answer.totalMs,
    cliMs,
    gatewayCpuMs,
    cliCpuMs,
    baseline,
    peakBytes,
    after,
    output,
    samples,
  };
  const timeGoal: Goal = { op: '<=', value: 1.5 };
  const peakGoal: Goal = { op: '<=', value: 2 };
  const keptGoal: Goal = { op: '<=', value: 0.25 };
  rows.push(
    {
      id: 'L',
      what: `${LONG_CHARS} chars, not streamed (wav): time vs espeak-ng CLI`,
      gateway: ms(answer.totalMs),
      limit: ms(cliMs),
      ratio: answer.totalMs / cliMs,
      goal: `${goalText(timeGoal)}×`,
      status: judge(answer.totalMs / cliMs, timeGoal, failed),
      note:
        failure ||
        `first byte after ${ms(answer.firstByteMs)}; CPU ${ms(gatewayCpuMs)} vs ${ms(cliCpuMs)} ` +
          `(${(gatewayCpuMs / cliCpuMs).toFixed(1)}×)`,
      data,
    },
    {
      id: 'L',
      what: 'peak RSS growth of the gateway tree vs output size',
      gateway: megabytes(growth),
      limit: megabytes(output),
      ratio: growth / output,
      goal: `${goalText(peakGoal)}×`,
      status: judge(growth / output, peakGoal, failed),
      note: failure || `baseline ${megabytes(baseline)}, peak ${megabytes(peakBytes)}, ${samples} samples`,
      data,
    },
    {
      id: 'L',
      what: `RSS still grown ${SETTLE_S} s after vs output size (memory returned)`,
      gateway: megabytes(kept),
      limit: megabytes(output),
      ratio: kept / output,
      goal: `${goalText(keptGoal)}×`,
      status: judge(kept / output, keptGoal, failed),
      note: failure || `RSS ${megabytes(after)} after`,
      data,
    },
  );
}

/** Runs `measure`; when it throws, an ERROR row says why and the other sections still run. */
async function section(
  rows: ResultRow[],
  id: string,
  what: string,
  goal: string,
  measure: () => Promise<void>,
): Promise<void> {
  if (!selected(id)) return;
  const started = Date.now();
  try {
    await measure();
  } catch (error) {
    rows.push(errorRow(id, what, goal, error));
  }
  console.log(`  ${id} measured in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function measurePostgres(rows: ResultRow[], scratch: string): Promise<void> {
  const gateway = await ChildGateway.start('hot-pg', 'postgres', ttsLimits());
  let bare: BareServer | undefined;
  try {
    await section(rows, 'P6', 'idle RSS, PostgreSQL mode (node)', '≤ 200 MB', async () => {
      await sleep(IDLE_S * 1000);
      const node = await processRssBytes(gateway.pid);
      const tree = await treeRss(gateway.pid);
      rows.push({
        id: 'P6',
        what: `idle RSS, PostgreSQL mode (node process), ${IDLE_S} s after start`,
        gateway: megabytes(node),
        limit: '—',
        ratio: null,
        goal: '≤ 200 MB',
        status: judge(node / MB, { op: '<=', value: 200 }, 0),
        note: `process tree ${megabytes(tree.totalBytes)}`,
        data: { nodeBytes: node, ...tree },
      });
    });
    const client = await prepareTts(gateway);
    const health = await fetch(`${gateway.url}/health`);
    const healthBody = Buffer.from(await health.arrayBuffer());
    const live = await fetch(`${gateway.url}/health/live`);
    const liveBody = Buffer.from(await live.arrayBuffer());
    if (health.status !== 200 || live.status !== 200) {
      throw new Error(`/health answered ${health.status}, /health/live ${live.status}`);
    }
    bare = await startBareServer([
      {
        path: '/health',
        body: healthBody,
        contentType: health.headers.get('content-type') ?? 'application/json',
      },
      {
        path: '/health/live',
        body: liveBody,
        contentType: live.headers.get('content-type') ?? 'application/json',
      },
      { path: '/tts', body: client.cachedWav, contentType: 'audio/wav' },
    ]);
    const limit = bare;
    await section(rows, 'P0', 'GET /health vs bare', '≥ 0.3', () =>
      measureHealth(rows, gateway, limit, '/health', 'P0', { op: '>=', value: 0.3 }),
    );
    await section(rows, "P0'", 'GET /health/live vs bare', '≥ 0.4', () =>
      measureHealth(rows, gateway, limit, '/health/live', "P0'", { op: '>=', value: 0.4 }),
    );
    await section(rows, 'P1c', 'cached /tts vs bare', '≥ 0.35', () =>
      measureCachedVsBare(rows, gateway, client, limit),
    );
    await bare.close();
    bare = undefined;
    await section(rows, 'P2', 'cached /tts accounting on vs off, PostgreSQL', '≥ 0.8', async () => {
      rows.push(await measureAccounting(gateway, client, 'PostgreSQL'));
    });
    await section(rows, 'P5', 'many keep-alive connections', 'p95 < 250 ms', () =>
      measureManyConnections(rows, gateway, client),
    );
    await section(rows, 'P1u', 'uncached /tts vs espeak-ng', '≥ 0.9', () =>
      measureUncached(rows, gateway, client, scratch),
    );
    await section(rows, 'P3', 'streaming', '≤ 1.3×', () => measureStreaming(rows, gateway, client, scratch));
    await section(rows, 'L', 'long text', '≤ 1.5×', () => measureLongText(rows, gateway, client, scratch));
  } finally {
    await bare?.close();
    reportProblems(gateway, 'PostgreSQL');
    await gateway.close();
  }
}

export async function runHotPathBenchmark(): Promise<void> {
  const started = Date.now();
  const cores = availableParallelism();
  const loadBefore = loadavg();
  const otherBefore = await otherBusyCores(1000, [], cores);
  const rows: ResultRow[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'sg-bench-hot-path-'));
  try {
    const embeddedRows = ['P6', 'P2'].filter(selected);
    if (embeddedRows.length > 0) {
      console.log(`embedded-database gateway: ${embeddedRows.join(', ')}`);
      try {
        await measureEmbedded(rows);
      } catch (error) {
        rows.push(errorRow('P2/P6', 'embedded-database gateway', '—', error));
      }
    }
    const postgresRows = ['P6', 'P0', "P0'", 'P1c', 'P2', 'P5', 'P1u', 'P3', 'L'].filter(selected);
    if (postgresRows.length > 0) {
      console.log(`PostgreSQL gateway: ${postgresRows.join(', ')}`);
      try {
        await measurePostgres(rows, scratch);
      } catch (error) {
        rows.push(errorRow('PG', 'PostgreSQL gateway', '—', error));
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const order = ['P0', "P0'", 'P1c', 'P2', 'P5', 'P1u', 'P3', 'L', 'P6'];
  rows.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const loadAfter = loadavg();
  const otherAfter = await otherBusyCores(1000, [], cores);

  console.log(
    `\nhot path: ${DURATION_S} s per side of each throughput row (A B B A halves), ${WARMUP_S} s warm-ups; ` +
      `gateway = shipped config/config.yaml in a child process (per-request logging ` +
      `${process.env.BENCH_HOT_PATH_LOGGING === '1' ? 'on' : 'off'}, unlimited plan)`,
  );
  console.log(formatTable(rows));
  const busy = Math.max(otherBefore, otherAfter);
  console.log(
    `load average (1/5/15 min): ${loadBefore.map((v) => v.toFixed(2)).join(' ')} before, ` +
      `${loadAfter.map((v) => v.toFixed(2)).join(' ')} after; other processes kept ` +
      `${otherBefore.toFixed(2)} / ${otherAfter.toFixed(2)} of ${cores} cores busy before / after`,
  );
  if (busy > 0.25 || (loadBefore[0] ?? 0) > cores / 2) {
    console.log(
      'WARNING: other work is running on this machine: absolute numbers are low and noisy; ' +
        'ratios (measured A B B A) and CPU per request hold up better.',
    );
  }
  const counts = { PASS: 0, MISS: 0, ERROR: 0 };
  for (const row of rows) counts[row.status]++;
  console.log(`${counts.PASS} PASS, ${counts.MISS} MISS, ${counts.ERROR} ERROR`);
  await writeJson(OUTPUT, {
    date: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    machine: {
      cores,
      loadBefore,
      loadAfter,
      otherBusyCoresBefore: otherBefore,
      otherBusyCoresAfter: otherAfter,
    },
    settings: {
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      p5: { durationS: P5_DURATION_S, connections: P5_CONNECTIONS, thinkMs: P5_THINK_MS },
      p3: { rounds: P3_ROUNDS, chars: P3_CHARS },
      long: { chars: LONG_CHARS, settleS: SETTLE_S },
      idleS: IDLE_S,
      logging: process.env.BENCH_HOT_PATH_LOGGING === '1',
    },
    rows,
  });
  console.log(`results: ${OUTPUT}; hot-path benchmark took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (counts.ERROR > 0)
    throw new Error(`${counts.ERROR} hot-path rows are ERROR (a request failed or a section could not run)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runHotPathBenchmark();
}
