import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { stringify } from 'yaml';
import { bearer, createUserWithKey, type TestUser } from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import {
  baseTestConfig,
  deepMerge,
  dropSchema,
  freePort,
  newSchemaName,
  requestJson,
  TEST_DATABASE_URL,
  waitFor,
  waitForVoices,
} from './support/test-gateway.js';

const MAIN = new URL('../src/main.js', import.meta.url).pathname;
const SHUTDOWN_TIMEOUT_SECONDS = 3;
/** What the drain may take beyond the timeout: the aborted requests settle, engines stop, the pool closes. */
const EXIT_MARGIN_SECONDS = 15;
const SENTENCE = 'The quick brown fox jumps over the lazy dog, and then it runs far away into the woods. ';
/** About four minutes of speech: several seconds of synthesis even on a quiet machine. */
const LONG_TEXT = SENTENCE.repeat(45);
const SHORT_TEXT = 'A short request.';
/** Less than what one long request reserves (its length / rate_limits.tts_estimate_chars_per_second), more than any short one. */
const LONG_RESERVATION_MS = 300_000;

interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** `node dist/src/main.js` on a free port, as an operator runs it. */
async function startServer(configPath: string, cwd: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN, '--config', configPath, '--port', String(port)], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '' },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(
    async () => {
      if (gone) throw new Error(`the server exited: ${output}`);
      return (await fetch(`${url}/health/live`)).ok;
    },
    'the server to listen',
    60_000,
  );
  return { child, url, output: () => output, exited };
}

/** Runs SQL in the test's schema. */
async function query<T>(schema: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`SET search_path = "${schema}"`);
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

interface UsageRow {
  request_id: string;
  status: string;
  error_code: string | null;
  audio_seconds: string;
}

interface Outcome {
  requestId: string;
  status: number | 'cut';
  /** When the answer ended (ms since the epoch). */
  at: number;
}

/** The user's used seconds, in whole milliseconds, read straight from the database. */
async function usedMsOf(schema: string, userId: number): Promise<number> {
  const rows = await query<{ used_ms: number }>(
    schema,
    `SELECT round(used_seconds * 1000)::int AS used_ms FROM users WHERE id = $1`,
    [userId],
  );
  return rows[0]?.used_ms ?? 0;
}

function tts(url: string, key: string, requestId: string, text: string): Promise<Outcome> {
  return fetch(`${url}/tts`, {
    method: 'POST',
    headers: { ...bearer(key), 'Content-Type': 'application/json', 'X-Request-ID': requestId },
    body: JSON.stringify({ text }),
  }).then(
    async (res) => {
      await res.arrayBuffer();
      return { requestId, status: res.status, at: Date.now() };
    },
    () => ({ requestId, status: 'cut' as const, at: Date.now() }),
  );
}

describe('shutdown under load (a real server process)', () => {
  let dir: string;
  const schemas: string[] = [];
  const servers: Server[] = [];

  /** A config for a fresh schema; the first start prints the bootstrap admin key. */
  async function writeConfig(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const schema = newSchemaName();
    schemas.push(schema);
    const configPath = join(dir, `${name}.yaml`);
    const config = deepMerge(
      deepMerge(baseTestConfig(join(dir, name), 'postgres', schema), {
        ...ESPEAK_TEST_CONFIG,
        engines: { tts: [{ id: 'espeak', type: 'espeak', options: { backend: 'auto', workers: 2 } }] },
        server: { shutdown_timeout_seconds: SHUTDOWN_TIMEOUT_SECONDS },
        auth: { enforce: true },
        middleware: { logging: { log_level: 'info' } },
        rate_limits: {
          plans: {
            free: {},
            load: { requests_per_minute: 100000, burst_per_second: 10000, max_concurrent_requests: 100 },
          },
        },
      }),
      extra,
    );
    await writeFile(configPath, stringify(config));
    return configPath;
  }

  async function start(configPath: string): Promise<Server> {
    const server = await startServer(configPath, dir);
    servers.push(server);
    return server;
  }

  async function userOf(server: Server, email: string): Promise<TestUser> {
    const adminKey = /sgk_[0-9A-Za-z_]+/.exec(server.output())?.[0];
    assert.ok(adminKey, 'the first start printed the bootstrap admin key');
    await waitForVoices(server.url, 'language=en-us', 1, bearer(adminKey));
    return createUserWithKey(server.url, adminKey, { email, plan: 'load', quota_seconds: 100_000 });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-shutdown-'));
  });
  after(async () => {
    for (const server of servers) server.child.kill('SIGKILL');
    for (const schema of schemas) await dropSchema(schema);
    await rm(dir, { recursive: true, force: true });
  });

  it('on SIGTERM refuses new work, lets requests finish or releases them, and then exits', async (t) => {
    const configPath = await writeConfig('drain');
    const server = await start(configPath);
    const user = await userOf(server, 'drain@example.com');
    const schema = schemas.at(-1) ?? '';
    const usedMs = () => usedMsOf(schema, user.id);

    const LONG = 6;
    // Short requests first, so that some of them are likely to finish while the server drains.
    const requests = Array.from({ length: 3 }, (_, i) => tts(server.url, user.key, `short-${i}`, SHORT_TEXT));
    requests.push(
      ...Array.from({ length: LONG }, (_, i) => tts(server.url, user.key, `long-${i}`, LONG_TEXT)),
    );
    // Every long request holds its reservation: the work is under way.
    await waitFor(
      async () => (await usedMs()) >= LONG * LONG_RESERVATION_MS,
      'the long requests to be reserved',
      30_000,
    );

    const signalled = Date.now();
    server.child.kill('SIGTERM');

    // Readiness turns 503 at once, and new work is refused with Retry-After while the drain lasts.
    const ready = await waitFor(
      async () => {
        const answer = await requestJson<{ metadata: { error_code: string } }>(`${server.url}/health/ready`);
        return answer.status === 503 ? answer : undefined;
      },
      'readiness to answer 503',
      10_000,
    );
    assert.equal(ready.body.metadata.error_code, 'SERVICE_NOT_READY');
    assert.ok(Number(ready.headers.get('retry-after')) > 0, 'Retry-After on readiness');
    const refused = await requestJson<{ metadata: { error_code: string } }>(`${server.url}/tts`, {
      method: 'POST',
      headers: { ...bearer(user.key), 'Content-Type': 'application/json', 'X-Request-ID': 'late' },
      body: JSON.stringify({ text: SHORT_TEXT }),
    });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.metadata.error_code, 'SERVICE_NOT_READY');
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After on a refused request');
    assert.equal(refused.headers.get('connection'), 'close');

    assert.equal(await server.exited, 0, server.output());
    const seconds = (Date.now() - signalled) / 1000;
    t.diagnostic(`exited ${seconds.toFixed(1)} s after SIGTERM`);
    assert.ok(seconds < SHUTDOWN_TIMEOUT_SECONDS + EXIT_MARGIN_SECONDS, `exited after ${seconds} s`);

    const outcomes = await Promise.all(requests);
    t.diagnostic(
      outcomes
        .map((o) => `${o.requestId}: ${o.status} at ${((o.at - signalled) / 1000).toFixed(1)} s`)
        .join(', '),
    );
    const rows = await query<UsageRow>(
      schema,
      `SELECT request_id, status, error_code, audio_seconds::text FROM usage_logs WHERE user_id = $1`,
      [user.id],
    );
    for (const outcome of outcomes) {
      const mine = rows.filter((row) => row.request_id === outcome.requestId);
      const described = `${outcome.requestId} (${outcome.status}) has ${mine.length} usage rows`;
      if (outcome.status === 200) {
        assert.equal(mine.length, 1, described);
        assert.equal(mine[0]?.status, 'success', described);
        assert.ok(Number(mine[0]?.audio_seconds) > 0);
        continue;
      }
      // Every long request held a reservation at SIGTERM; a short one may have been cut before its own.
      if (outcome.requestId.startsWith('long-')) assert.equal(mine.length, 1, described);
      else assert.ok(mine.length <= 1, described);
      for (const row of mine) {
        assert.equal(row.status, 'error', described);
        assert.ok(
          ['REQUEST_CANCELLED', 'SERVICE_NOT_READY'].includes(row.error_code ?? ''),
          row.error_code ?? '',
        );
        assert.equal(Number(row.audio_seconds), 0);
      }
    }
    assert.ok(
      outcomes.some((o) => o.status !== 200),
      'some long requests were still running at the timeout (the abort path was exercised)',
    );

    // Only delivered audio is charged; nothing stays reserved.
    const chargedMs = rows
      .filter((row) => row.status === 'success')
      .reduce((sum, row) => sum + Math.round(Number(row.audio_seconds) * 1000), 0);
    assert.equal(await usedMs(), chargedMs);
    const [held] = await query<{ n: number }>(schema, `SELECT count(*)::int AS n FROM quota_reservations`);
    assert.equal(held?.n, 0);
    assert.doesNotMatch(server.output(), /quota release failed|Connection terminated/);
  });

  it('gives back what a killed server (kill -9) had reserved, once the reservations expire', async () => {
    const configPath = await writeConfig('crash', {
      auth: { reservation_ttl_seconds: 3, reservation_sweep_interval_seconds: 0.5 },
    });
    const crashed = await start(configPath);
    const user = await userOf(crashed, 'crash@example.com');
    const schema = schemas.at(-1) ?? '';
    const usedMs = () => usedMsOf(schema, user.id);

    const requests = Array.from({ length: 3 }, (_, i) => tts(crashed.url, user.key, `crash-${i}`, LONG_TEXT));
    await waitFor(async () => (await usedMs()) >= 3 * LONG_RESERVATION_MS, 'three reservations', 30_000);
    // While the server lives, it renews what it holds: running requests keep their reservations.
    await waitFor(
      async () =>
        (
          await query<{ renewed: number }>(
            schema,
            `SELECT count(*)::int AS renewed FROM quota_reservations
              WHERE expires_at > created_at + interval '3 seconds'`,
          )
        )[0]?.renewed === 3,
      'the live reservations to be renewed',
      30_000,
    );
    assert.doesNotMatch(crashed.output(), /sweep failed/);
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    await Promise.all(requests);
    assert.ok((await usedMs()) >= 3 * LONG_RESERVATION_MS, 'the crash left its reservations charged');

    // The next start (or its sweeper, should the reservations not have expired yet) releases them.
    await start(configPath);
    await waitFor(async () => (await usedMs()) === 0, 'the expired reservations to be released', 30_000);
    const [held] = await query<{ n: number }>(schema, `SELECT count(*)::int AS n FROM quota_reservations`);
    assert.equal(held?.n, 0);
    const rows = await query<UsageRow>(
      schema,
      `SELECT request_id, status, error_code, audio_seconds::text FROM usage_logs WHERE user_id = $1
        ORDER BY request_id`,
      [user.id],
    );
    assert.deepEqual(
      rows.map((row) => [row.request_id, row.status, row.error_code]),
      [0, 1, 2].map((i) => [`crash-${i}`, 'error', 'RESERVATION_EXPIRED']),
    );
  });
});
