import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { EmbeddedPostgres } from './embedded-postgres.js';

const POOL_SIZE = 10;
const LOCK_FILE = '.speech-gateway.lock';

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(err instanceof Error ? err : true);
    throw err;
  }
}

describe('EmbeddedPostgres under concurrent load', { timeout: 40_000 }, () => {
  let dir: string;
  let db: EmbeddedPostgres;
  let pool: pg.Pool;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'embedded-pg-load-'));
    db = await EmbeddedPostgres.start({ dataDir: dir, maxConnections: POOL_SIZE });
    pool = new pg.Pool({ connectionString: db.url, max: POOL_SIZE });
  });

  after(async () => {
    await pool?.end();
    await db?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs with a 16 MB page cache, not initdb’s 128 MB (idle memory)', async () => {
    const { rows } = await pool.query<{ shared_buffers: string }>('SHOW shared_buffers');
    assert.equal(rows[0]?.shared_buffers, '16MB');
  });

  it('(a) lets exactly 150 of 200 concurrent conditional UPDATEs through', async () => {
    await pool.query('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)');
    await pool.query('INSERT INTO counters VALUES (1, 0)');

    const results = await Promise.all(
      Array.from({ length: 200 }, () => pool.query('UPDATE counters SET n = n + 1 WHERE id = 1 AND n < 150')),
    );

    assert.equal(results.filter((r) => r.rowCount === 1).length, 150);
    assert.equal(results.filter((r) => r.rowCount === 0).length, 50);
    const { rows } = await pool.query<{ n: number }>('SELECT n FROM counters WHERE id = 1');
    assert.equal(rows[0]?.n, 150);
  });

  it('(b) keeps 50 concurrent read-modify-write transactions from losing updates', async () => {
    await pool.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
    await pool.query('INSERT INTO accounts VALUES (1, 0)');

    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        inTransaction(pool, async (client) => {
          const { rows } = await client.query<{ balance: number }>(
            'SELECT balance FROM accounts WHERE id = 1 FOR UPDATE',
          );
          const balance = rows[0]?.balance ?? Number.NaN;
          await client.query('UPDATE accounts SET balance = $1 WHERE id = 1', [balance + i + 1]);
        }),
      ),
    );

    const { rows } = await pool.query<{ balance: number }>('SELECT balance FROM accounts WHERE id = 1');
    assert.equal(rows[0]?.balance, (50 * 51) / 2);
  });

  // Parameters this large arrive in several TCP reads; unpatched pglite-socket then runs
  // another connection's Parse in between and INSERTs silently turn into SELECTs.
  it('keeps extended-protocol batches of concurrent connections apart', async () => {
    await pool.query('CREATE TABLE blobs (id int PRIMARY KEY, body text NOT NULL)');
    const body = 'x'.repeat(1_000_000);

    const echoes = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        if (i % 5 === 0) {
          await pool.query('INSERT INTO blobs VALUES ($1, $2)', [i, body]);
          return true;
        }
        const { rows } = await pool.query<{ v: number; s: string }>('SELECT $1::int AS v, $2::text AS s', [
          i,
          `s${i}`,
        ]);
        return rows[0]?.v === i && rows[0]?.s === `s${i}`;
      }),
    );

    assert.ok(echoes.every(Boolean), 'every SELECT returned its own parameters');
    const { rows } = await pool.query<{ count: string; total: string }>(
      'SELECT count(*) AS count, sum(length(body)) AS total FROM blobs',
    );
    assert.deepEqual(rows[0], { count: '10', total: String(10 * body.length) });
  });

  it('(f) does not stall the parent event loop during a burst of 2000 queries', async (t) => {
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const results = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => pool.query<{ v: number }>('SELECT $1::int AS v', [i])),
    );
    histogram.disable();

    assert.equal(results.length, 2000);
    const maxDelayMs = histogram.max / 1e6;
    t.diagnostic(
      `event loop delay: max ${maxDelayMs.toFixed(1)} ms, p99 ${(histogram.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    assert.ok(maxDelayMs < 200, `event loop max delay ${maxDelayMs.toFixed(1)} ms`);
  });
});

describe('EmbeddedPostgres data folder', { timeout: 40_000 }, () => {
  let root: string;
  let dataDir: string;
  let db: EmbeddedPostgres | undefined;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'embedded-pg-dir-'));
    dataDir = join(root, 'nested', 'deeper', 'pgdata');
  });

  after(async () => {
    await db?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('(d) creates a missing nested data folder', async () => {
    db = await EmbeddedPostgres.start({ dataDir, maxConnections: 2 });
    assert.ok((await stat(join(dataDir, 'PG_VERSION'))).isFile());
    assert.equal((await stat(join(dataDir, LOCK_FILE))).isFile(), true);
  });

  it('(e) refuses a second start on a data folder in use', async () => {
    await assert.rejects(EmbeddedPostgres.start({ dataDir, maxConnections: 2 }), (err: Error) => {
      assert.match(err.message, /already in use/);
      assert.ok(err.message.includes(dataDir), err.message);
      assert.ok(err.message.includes(String(db?.pid)), err.message);
      return true;
    });
  });

  it('(c) keeps data across stop and a new start, taking over a stale lock', async () => {
    assert.ok(db);
    const client = new pg.Client(db.url);
    await client.connect();
    await client.query('CREATE TABLE notes (id int PRIMARY KEY, text text)');
    await client.query('INSERT INTO notes VALUES (1, $1)', ['survives restarts']);
    await client.end();

    let exitCode: number | null | undefined;
    db.onExit((exit) => (exitCode = exit.expected ? exit.code : -1));
    await db.stop();
    assert.equal(exitCode, 0);

    // As if the previous owner had crashed: its pid is in the lock and no longer runs.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(dataDir, LOCK_FILE), `${deadPid}\n`);

    db = await EmbeddedPostgres.start({ dataDir, maxConnections: 2 });
    const again = new pg.Client(db.url);
    await again.connect();
    const { rows } = await again.query('SELECT text FROM notes WHERE id = 1');
    await again.end();
    assert.deepEqual(rows, [{ text: 'survives restarts' }]);
  });

  it('rejects with the data folder in the message when it cannot be created', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, '');
    const impossible = join(file, 'pgdata');
    await assert.rejects(EmbeddedPostgres.start({ dataDir: impossible, maxConnections: 2 }), (err: Error) => {
      assert.ok(err.message.includes(impossible), err.message);
      assert.match(err.message, /ENOTDIR/);
      return true;
    });
  });
});
