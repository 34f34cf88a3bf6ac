import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { EmbeddedPostgres } from '../src/database/embedded/embedded-postgres.js';
import { ProbeModule } from './support/probe.module.js';
import { dropSchema, startTestGateway, TEST_DATABASE_URL, waitFor } from './support/test-gateway.js';

/** More than one batch is not needed: the point is what is still buffered when the gateway closes. */
const REQUESTS = 25;

/** Counts the analytics rows whose request id starts with `prefix`, over a plain pg connection. */
async function countRows(connectionString: string, table: string, prefix: string): Promise<number> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM ${table} WHERE request_id LIKE $1`,
      [`${prefix}%`],
    );
    return rows[0]?.count ?? 0;
  } finally {
    await client.end();
  }
}

for (const database of ['postgres', 'embedded'] as const) {
  describe(`analytics batching on ${database === 'postgres' ? 'PostgreSQL' : 'the embedded database'}`, () => {
    it('stores exactly one row per request once the gateway has closed, and none for health probes', async () => {
      const t = await startTestGateway({ database, extraModules: [ProbeModule] });
      const prefix = `batch-${randomUUID()}-`;
      try {
        for (let i = 0; i < REQUESTS; i++) {
          const res = await fetch(`${t.url}/probe/slow?ms=0`, {
            headers: { 'X-Request-ID': `${prefix}${i}` },
          });
          assert.equal(res.status, 200);
          await res.arrayBuffer();
        }
        for (const path of ['/health/live', '/health/ready']) {
          const res = await fetch(`${t.url}${path}`, {
            headers: { 'X-Request-ID': `${prefix}probe${path}` },
          });
          assert.equal(res.status, 200);
          await res.arrayBuffer();
        }
        // Metrics still count the probes.
        const metrics = await (await fetch(`${t.url}/metrics`)).text();
        assert.match(
          metrics,
          /speech_gateway_http_request_duration_seconds_count\{[^}]*route="\/health\/live"/,
        );
      } finally {
        // No flush() here: closing must write what is buffered.
        await t.gateway.close();
      }
      try {
        if (database === 'postgres') {
          const table = `"${t.schema}".analytics_events`;
          assert.equal(await countRows(TEST_DATABASE_URL, table, prefix), REQUESTS);
          assert.equal(await countRows(TEST_DATABASE_URL, table, `${prefix}probe`), 0);
        } else {
          const embedded = await EmbeddedPostgres.start({
            dataDir: join(t.dir, 'pglite'),
            maxConnections: 3,
          });
          try {
            assert.equal(await countRows(embedded.url, 'analytics_events', prefix), REQUESTS);
            assert.equal(await countRows(embedded.url, 'analytics_events', `${prefix}probe`), 0);
          } finally {
            await embedded.stop();
          }
        }
      } finally {
        if (database === 'postgres') await dropSchema(t.schema);
        await rm(t.dir, { recursive: true, force: true });
      }
    });
  });
}

describe('analytics flush by interval', () => {
  it('writes a partial batch without a shutdown or an explicit flush', async () => {
    const t = await startTestGateway({ extraModules: [ProbeModule] });
    try {
      const id = `interval-${randomUUID()}`;
      const res = await fetch(`${t.url}/probe/slow?ms=0`, { headers: { 'X-Request-ID': id } });
      assert.equal(res.status, 200);
      // One row is far below a batch: only the interval timer can write it.
      const count = await waitFor(async () => {
        const n = await countRows(TEST_DATABASE_URL, `"${t.schema}".analytics_events`, id);
        return n > 0 ? n : undefined;
      }, 'the row written by the interval flush');
      assert.equal(count, 1);
    } finally {
      await t.close();
    }
  });
});
