/**
 * Embedded PostgreSQL (PGlite in a child process) against the real PostgreSQL server,
 * same workloads, same run. Run after building: node dist/bench/embedded-db.bench.js
 *
 * BENCH_REAL_PG_URL overrides the real server (default postgres://root@127.0.0.1:5432/test);
 * BENCH_DURATION_MS the length of each measurement (default 2000).
 */
import { pathToFileURL } from 'node:url';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { EmbeddedPostgres } from '../src/database/embedded/embedded-postgres.js';

const REAL_URL = process.env.BENCH_REAL_PG_URL ?? 'postgres://root@127.0.0.1:5432/test';
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);
const POOL_SIZE = 10;
const TABLE = `bench_${process.pid}_${Date.now()}`;

type Results = Map<string, number>;

/** Runs `op` back to back on `workers` concurrent loops for DURATION_MS; returns ops/s. */
async function opsPerSecond(workers: number, op: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  const deadline = started + DURATION_MS;
  let count = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        await op();
        count++;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function measure(url: string): Promise<Results> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  const results: Results = new Map();
  try {
    await pool.query(`CREATE TABLE ${TABLE}_counter (id int PRIMARY KEY, n int NOT NULL)`);
    await pool.query(`CREATE TABLE ${TABLE}_rows (id serial PRIMARY KEY, payload text NOT NULL)`);
    await pool.query(`INSERT INTO ${TABLE}_counter VALUES (1, 0)`);

    const client = await pool.connect();
    try {
      results.set('SELECT 1, 1 client sequential', await opsPerSecond(1, () => client.query('SELECT 1')));
    } finally {
      client.release();
    }
    results.set(
      `SELECT $1, ${POOL_SIZE} concurrent`,
      await opsPerSecond(POOL_SIZE, () => pool.query('SELECT $1::int AS v', [42])),
    );
    results.set(
      `INSERT, ${POOL_SIZE} concurrent`,
      await opsPerSecond(POOL_SIZE, () =>
        pool.query(`INSERT INTO ${TABLE}_rows (payload) VALUES ($1)`, ['x'.repeat(200)]),
      ),
    );

    let applied = 0;
    const updateRate = await opsPerSecond(POOL_SIZE, async () => {
      const r = await pool.query(`UPDATE ${TABLE}_counter SET n = n + 1 WHERE id = 1 AND n < $1`, [1e9]);
      applied += r.rowCount ?? 0;
    });
    const { rows } = await pool.query<{ n: number }>(`SELECT n FROM ${TABLE}_counter WHERE id = 1`);
    if (rows[0]?.n !== applied)
      throw new Error(`counter is ${rows[0]?.n}, ${applied} updates reported success`);
    results.set(`conditional UPDATE, ${POOL_SIZE} concurrent`, updateRate);
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${TABLE}_counter, ${TABLE}_rows`).catch(() => undefined);
    await pool.end();
  }
  return results;
}

async function memoryKb(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

function printTable(real: Results | undefined, embedded: Results): void {
  const rows = [...embedded.keys()].map((name) => {
    const realRate = real?.get(name);
    const embeddedRate = embedded.get(name) ?? Number.NaN;
    return {
      workload: name,
      'real stmt/s': realRate === undefined ? 'n/a' : Math.round(realRate),
      'embedded stmt/s': Math.round(embeddedRate),
      'embedded/real': realRate === undefined ? 'n/a' : (embeddedRate / realRate).toFixed(2),
    };
  });
  console.table(rows);
}

export async function runEmbeddedDatabaseBenchmark(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'embedded-db-bench-'));
  try {
    let real: Results | undefined;
    try {
      real = await measure(REAL_URL);
    } catch (err) {
      console.log(
        `real PostgreSQL at ${REAL_URL} not measured: ${err instanceof Error ? err.message : String(err)}`,
      );
    }

    const [cold, coldMs] = await timed(() => EmbeddedPostgres.start({ dataDir, maxConnections: POOL_SIZE }));
    const idle = await memoryKb(cold.pid);
    const embedded = await measure(cold.url);
    const loaded = await memoryKb(cold.pid);
    await cold.stop();

    const [warm, warmMs] = await timed(() => EmbeddedPostgres.start({ dataDir, maxConnections: POOL_SIZE }));
    const warmIdle = await memoryKb(warm.pid);
    await warm.stop();

    console.log(`each measurement ${DURATION_MS} ms, pool size ${POOL_SIZE}`);
    printTable(real, embedded);
    console.log(
      `embedded start: cold (new data folder, runs initdb) ${coldMs.toFixed(0)} ms, warm ${warmMs.toFixed(0)} ms`,
    );
    const mib = (kb: number): string => `${(kb / 1024).toFixed(1)} MiB`;
    console.log(
      `embedded child RSS: ${mib(idle.rss)} after the cold start, ${mib(loaded.rss)} after the workloads ` +
        `(peak ${mib(loaded.peak)}), ${mib(warmIdle.rss)} after the warm start (peak ${mib(warmIdle.peak)})`,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runEmbeddedDatabaseBenchmark();
