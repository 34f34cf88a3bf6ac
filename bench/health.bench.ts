/**
 * GET /health throughput: the real gateway (in-process, real PostgreSQL) against a bare
 * `node:http` server answering the same JSON bytes, plus the cost of the request
 * interceptors (timing + analytics on, their defaults, against all of them off) and of the
 * database check (/health against /health/live).
 *
 * Run after building: node dist/bench/health.bench.js (or `npm run bench` for every benchmark).
 *
 * Environment:
 *   BENCH_DATABASE_URL        PostgreSQL for the app (default postgres://root@127.0.0.1:5432/test)
 *   BENCH_HEALTH_DURATION_S   measured seconds per row (default 5)
 *   BENCH_HEALTH_WARMUP_S     unmeasured warm-up per server, seconds (default 1)
 *   BENCH_HEALTH_CONNECTIONS  concurrent keep-alive connections (default 10)
 *
 * Everything runs in this one process, one server after the other (never concurrently):
 * the machine has 2 CPU cores, and two servers under load at once would compete for them
 * (and for PostgreSQL). The load generator (autocannon) runs in a worker thread so that it
 * does not share the measured server's event loop.
 *
 * The app rows come from one gateway whose interceptors are switched live between
 * measurement segments (config.patch, as PATCH /config does), in the order A B C C B A:
 * when other processes load the machine unevenly over time, every row sees about the same
 * average load, so the app ratios stay comparable even when absolute numbers move.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { stringify } from 'yaml';
import { createGateway, type Gateway } from '../src/gateway.js';
import { mainThreadCpuMs } from './process-tree.js';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const DURATION_S = Number(process.env.BENCH_HEALTH_DURATION_S ?? 5);
const WARMUP_S = Number(process.env.BENCH_HEALTH_WARMUP_S ?? 1);
const CONNECTIONS = Number(process.env.BENCH_HEALTH_CONNECTIONS ?? 10);

/** One autocannon run. */
interface Segment {
  requests: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** Event-loop utilisation of this process's main thread, where the servers run. */
  elu: number;
  /** CPU time the main thread used (NaN where /proc is missing). */
  cpuMs: number;
  /** Non-2xx answers, connection errors and timeouts. */
  failures: number;
}

interface Row {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Near 1: the server's JavaScript (main thread) is the bottleneck. */
  serverElu: number;
  /**
   * Main-thread CPU time per request, in µs. It moves much less than req/s when other
   * processes take CPU away, so it is the number to compare on a busy machine.
   * (PostgreSQL's own CPU for the /health query is in another process and not included.)
   */
  cpuUsPerRequest: number;
  failures: number;
}

async function loadSegment(url: string, seconds: number): Promise<Segment> {
  const cpuBefore = await mainThreadCpuMs();
  const eluBefore = performance.eventLoopUtilization();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    // A worker thread: the load generator must not share the measured server's event loop.
    workers: 1,
  });
  return {
    requests: result.requests.total,
    seconds: result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    elu: performance.eventLoopUtilization(eluBefore).utilization,
    // Includes starting the autocannon worker (a few ms), negligible against seconds of load.
    cpuMs: (await mainThreadCpuMs()) - cpuBefore,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** Segments of one row merged: rates and ELU over the total time, percentiles request-weighted. */
function toRow(name: string, segments: Segment[]): Row {
  const requests = segments.reduce((n, s) => n + s.requests, 0);
  const seconds = segments.reduce((n, s) => n + s.seconds, 0);
  const weighted = (pick: (s: Segment) => number) =>
    segments.reduce((n, s) => n + pick(s) * s.requests, 0) / Math.max(requests, 1);
  return {
    name,
    requestsPerSecond: requests / seconds,
    p50Ms: weighted((s) => s.p50Ms),
    p99Ms: weighted((s) => s.p99Ms),
    serverElu: segments.reduce((n, s) => n + s.elu * s.seconds, 0) / seconds,
    cpuUsPerRequest: (segments.reduce((n, s) => n + s.cpuMs, 0) * 1000) / Math.max(requests, 1),
    failures: segments.reduce((n, s) => n + s.failures, 0),
  };
}

/** Log lines the app wrote (logging interceptor off, level warn, so only warnings and errors). */
type LogLine = { level: number; msg: string };

async function startGateway(dir: string, schema: string, logs: LogLine[]): Promise<Gateway> {
  const configPath = join(dir, 'config.yaml');
  const config = {
    server: { port: 0, host: '127.0.0.1', shutdown_timeout_seconds: 5 },
    auth: { enforce: false },
    middleware: {
      timing: { enabled: true },
      // Off and at warn in every row: one log line per request would dominate the numbers.
      logging: { enabled: false, log_level: 'warn' },
      analytics: { enabled: true },
    },
    database: { url: DATABASE_URL, schema, pool: { max: 10 } },
    paths: {
      reference_audio: join(dir, 'reference_audio'),
      voices: join(dir, 'voices'),
      outputs: join(dir, 'outputs'),
    },
  };
  await writeFile(configPath, `# health benchmark\n${stringify(config)}`);
  return createGateway({
    configPath,
    // Not process.env: the shell's LOG_LEVEL, PORT, … must not change what is measured.
    env: {},
    rootDir: dir,
    logDestination: {
      write(line: string) {
        try {
          const parsed = JSON.parse(line) as { level?: number; msg?: string };
          logs.push({ level: parsed.level ?? 0, msg: parsed.msg ?? line });
        } catch {
          logs.push({ level: 0, msg: line });
        }
      },
    },
  });
}

interface AppVariant {
  name: string;
  path: '/health' | '/health/live';
  /** middleware.timing.enabled and middleware.analytics.enabled (logging stays off). */
  interceptors: boolean;
}

const APP_VARIANTS: AppVariant[] = [
  { name: 'app /health, interceptors on (timing + analytics)', path: '/health', interceptors: true },
  { name: 'app /health, interceptors off', path: '/health', interceptors: false },
  { name: 'app /health/live (no DB query), interceptors on', path: '/health/live', interceptors: true },
];

interface AppResult {
  rows: Row[];
  /** Exact bytes and content type of one GET /health answer, taken before any load. */
  body: Buffer;
  contentType: string;
  logs: LogLine[];
}

async function benchApp(dir: string, schema: string): Promise<AppResult> {
  const logs: LogLine[] = [];
  const gateway = await startGateway(dir, schema, logs);
  try {
    const base = await gateway.listen();
    const sample = await fetch(`${base}/health`);
    const body = Buffer.from(await sample.arrayBuffer());
    if (sample.status !== 200) {
      throw new Error(`GET /health answered ${sample.status}: ${body.toString('utf8')}`);
    }
    await loadSegment(`${base}/health`, WARMUP_S);

    const segments = new Map<AppVariant, Segment[]>(APP_VARIANTS.map((v) => [v, []]));
    let interceptors = true;
    // A B C C B A: each row gets DURATION_S in two halves, placed symmetrically in time.
    for (const variant of [...APP_VARIANTS, ...[...APP_VARIANTS].reverse()]) {
      if (variant.interceptors !== interceptors) {
        interceptors = variant.interceptors;
        await gateway.config.patch({
          middleware: { timing: { enabled: interceptors }, analytics: { enabled: interceptors } },
        });
      }
      segments.get(variant)?.push(await loadSegment(`${base}${variant.path}`, DURATION_S / 2));
    }
    return {
      rows: APP_VARIANTS.map((v) => toRow(v.name, segments.get(v) ?? [])),
      body,
      contentType: sample.headers.get('content-type') ?? 'application/json; charset=utf-8',
      logs,
    };
  } finally {
    await gateway.close();
  }
}

/** A bare node:http server answering every request with the app's /health bytes. */
async function benchBare(body: Buffer, contentType: string): Promise<Row> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    await loadSegment(url, WARMUP_S);
    return toRow('bare node:http, same body', [await loadSegment(url, DURATION_S)]);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    // `schema` is made below from hex digits only, so quoting it is safe.
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

function printTable(rows: Row[]): void {
  console.table(
    rows.map((row) => ({
      server: row.name,
      'req/s': Math.round(row.requestsPerSecond),
      'p50 ms': Number(row.p50Ms.toFixed(1)),
      'p99 ms': Number(row.p99Ms.toFixed(1)),
      'server ELU': Number(row.serverElu.toFixed(2)),
      'CPU µs/req': Math.round(row.cpuUsPerRequest),
      failures: row.failures,
    })),
  );
}

export async function runHealthBenchmark(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg()[0] ?? 0;
  const dir = await mkdtemp(join(tmpdir(), 'health-bench-'));
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  try {
    // Sequential on purpose: the app is closed before the bare server starts (2 CPU cores).
    const app = await benchApp(dir, schema);
    const bare = await benchBare(app.body, app.contentType);
    const [on, off, live] = app.rows as [Row, Row, Row];
    const rows = [...app.rows, bare];

    console.log(
      `GET /health: ${CONNECTIONS} connections, ${DURATION_S} s per row after a ${WARMUP_S} s warm-up, ` +
        `body ${app.body.length} bytes`,
    );
    printTable(rows);
    const ratio = (label: string, a: Row, b: Row) =>
      console.log(
        `ratio ${label}: ${(a.requestsPerSecond / b.requestsPerSecond).toFixed(2)} ` +
          `(CPU per request: ${(a.cpuUsPerRequest / b.cpuUsPerRequest).toFixed(2)}×)`,
      );
    ratio('app/bare', on, bare);
    ratio('app interceptors off/bare', off, bare);
    ratio('interceptors on/off', on, off);
    ratio('/health vs /health/live (database check)', on, live);

    const failures = rows.reduce((n, row) => n + row.failures, 0);
    if (failures > 0) console.log(`WARNING: ${failures} failed requests; the rows with failures are suspect`);
    // The auth-off warning at start is expected; any other warning or error is worth a look.
    const unexpected = app.logs.filter((line) => !line.msg.startsWith('AUTHENTICATION IS OFF'));
    if (unexpected.length > 0) {
      const distinct = [...new Set(unexpected.map((line) => line.msg))].slice(0, 5);
      console.log(`the app logged ${unexpected.length} warnings/errors, e.g.: ${distinct.join(' | ')}`);
    }
    const cores = availableParallelism();
    const loadAfter = loadavg()[0] ?? 0;
    console.log(
      `load average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, ${cores} cores` +
        (loadBefore > cores / 2
          ? ' (other processes were using the CPU: absolute numbers are low and noisy)'
          : ''),
    );
    console.log(`health benchmark took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await dropSchema(schema).catch((error: unknown) =>
      console.log(`could not drop schema ${schema}: ${String(error)}`),
    );
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runHealthBenchmark();
}
