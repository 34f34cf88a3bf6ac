import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { parseDocument } from 'yaml';
import { AnalyticsService } from '../src/observability/analytics.service.js';
import { ProbeModule } from './support/probe.module.js';
import { startTestGateway, waitFor, type TestGateway } from './support/test-gateway.js';

interface MiddlewareStatus {
  timing: { enabled: boolean; slow_request_threshold: number };
  logging: { enabled: boolean; log_level: string; format: string };
  analytics: { enabled: boolean; retention_days: number };
}

interface AnalyticsRow {
  id: string;
  created_at: Date;
  request_id: string;
  method: string;
  route: string;
  status_code: number;
  latency_ms: number;
  principal: string | null;
  engine: string | null;
  voice: string | null;
  error_code: string | null;
}

type LogLine = Record<string, unknown>;

describe('request interceptors, switched live in config.yaml', () => {
  let t: TestGateway;
  let analytics: AnalyticsService;

  before(async () => {
    t = await startTestGateway({ extraModules: [ProbeModule] });
    analytics = t.gateway.app.get(AnalyticsService);
  });
  after(() => t.close());

  /** Edits config.yaml the way an operator would (comments kept), replacing the file atomically. */
  async function editConfig(edits: Array<[path: string[], value: unknown]>): Promise<void> {
    const doc = parseDocument(await readFile(t.configPath, 'utf8'));
    for (const [path, value] of edits) doc.setIn(path, value);
    const temp = `${t.configPath}.${randomUUID()}.tmp`;
    await writeFile(temp, doc.toString());
    await rename(temp, t.configPath);
  }

  async function middlewareStatus(): Promise<MiddlewareStatus> {
    const res = await request(t.url).get('/tts/middleware/status').expect(200);
    return (res.body as { data: MiddlewareStatus }).data;
  }

  /** Edits the file, then waits until the server reports the change as live. */
  async function switchTo(
    edits: Array<[path: string[], value: unknown]>,
    applied: (status: MiddlewareStatus) => boolean,
    what: string,
  ): Promise<void> {
    await editConfig(edits);
    await waitFor(async () => applied(await middlewareStatus()), what);
  }

  function logsOf(requestId: string, msg?: string): LogLine[] {
    return t.logs.filter(
      (line) => line['request_id'] === requestId && (msg === undefined || line['msg'] === msg),
    );
  }

  async function rowsOf(requestId: string): Promise<AnalyticsRow[]> {
    return t.gateway.database.dataSource.query<AnalyticsRow[]>(
      'SELECT * FROM analytics_events WHERE request_id = $1',
      [requestId],
    );
  }

  /** Flushes the analytics buffer until the row of `requestId` is in the table. */
  async function waitForRow(requestId: string): Promise<AnalyticsRow> {
    return waitFor(async () => {
      await analytics.flush();
      const rows = await rowsOf(requestId);
      return rows[0];
    }, `the analytics row of ${requestId}`);
  }

  /**
   * The timing, logging and analytics observers all listen to the response's 'finish' and
   * run in that order in the same emit, so once the logging line of a request is written,
   * the timing and analytics observations of that request have happened too.
   */
  async function waitForSummaryLine(requestId: string): Promise<LogLine> {
    return waitFor(() => logsOf(requestId, 'request completed')[0], `the summary line of ${requestId}`);
  }

  describe('GET /tts/middleware/status', () => {
    it('shows the three switches with their settings', async () => {
      const status = await middlewareStatus();
      assert.deepEqual(status, {
        timing: { enabled: true, slow_request_threshold: 5 },
        logging: { enabled: true, log_level: 'debug', format: 'json' },
        analytics: { enabled: true, retention_days: 30 },
      });
    });
  });

  describe('timing', () => {
    it('sets X-Response-Time when on, not when off, and again when back on', async () => {
      const on = await request(t.url).get('/health/live').expect(200);
      assert.match(on.headers['x-response-time'] ?? '', /^\d+(\.\d+)?ms$/);

      await switchTo([[['middleware', 'timing', 'enabled'], false]], (s) => !s.timing.enabled, 'timing off');
      const off = await request(t.url).get('/health/live').expect(200);
      assert.equal(off.headers['x-response-time'], undefined);
      const offNotFound = await request(t.url).get('/no/such/route').expect(404);
      assert.equal(offNotFound.headers['x-response-time'], undefined);

      await switchTo([[['middleware', 'timing', 'enabled'], true]], (s) => s.timing.enabled, 'timing on');
      const again = await request(t.url).get('/health/live').expect(200);
      assert.match(again.headers['x-response-time'] ?? '', /^\d+(\.\d+)?ms$/);
    });

    it('sets X-Response-Time on a 404 for an unknown route too', async () => {
      const res = await request(t.url).get('/no/such/route').expect(404);
      assert.match(res.headers['x-response-time'] ?? '', /^\d+(\.\d+)?ms$/);
    });

    it('logs a slow request as a warning with its request id, and not a fast one', async () => {
      await switchTo(
        [[['middleware', 'timing', 'slow_request_threshold'], 0.05]],
        (s) => s.timing.slow_request_threshold === 0.05,
        'the slow-request threshold at 0.05 s',
      );
      const slowId = `slow-${randomUUID()}`;
      const fastId = `fast-${randomUUID()}`;
      await request(t.url).get('/probe/slow?ms=150').set('X-Request-ID', slowId).expect(200);
      await request(t.url).get('/probe/slow?ms=1').set('X-Request-ID', fastId).expect(200);

      const warning = await waitFor(() => logsOf(slowId, 'slow request')[0], 'the slow-request warning');
      assert.equal(warning['level'], 40, 'logged at warn level');
      assert.equal(warning['method'], 'GET');
      assert.equal(warning['path'], '/probe/slow');
      assert.equal(warning['threshold'], 0.05);
      assert.ok(typeof warning['seconds'] === 'number' && warning['seconds'] >= 0.15);

      await waitForSummaryLine(fastId);
      assert.deepEqual(logsOf(fastId, 'slow request'), [], 'a fast request is not reported as slow');

      await switchTo(
        [[['middleware', 'timing', 'slow_request_threshold'], 5]],
        (s) => s.timing.slow_request_threshold === 5,
        'the slow-request threshold back at 5 s',
      );
    });
  });

  describe('logging', () => {
    it('writes one summary line per request when on', async () => {
      const id = `log-on-${randomUUID()}`;
      await request(t.url).get('/probe/slow?ms=1').set('X-Request-ID', id).expect(200);
      const line = await waitForSummaryLine(id);
      assert.equal(line['method'], 'GET');
      assert.equal(line['path'], '/probe/slow');
      assert.equal(line['status'], 200);
      assert.equal(typeof line['ms'], 'number');
      assert.equal(line['level'], 30);
      assert.equal(logsOf(id, 'request completed').length, 1, 'exactly one summary line');

      const notFoundId = `log-404-${randomUUID()}`;
      await request(t.url).get('/no/such/route').set('X-Request-ID', notFoundId).expect(404);
      const notFound = await waitForSummaryLine(notFoundId);
      assert.equal(notFound['status'], 404);
      assert.equal(notFound['path'], '/no/such/route');
    });

    it('writes no summary line when off', async () => {
      await switchTo(
        [[['middleware', 'logging', 'enabled'], false]],
        (s) => !s.logging.enabled,
        'logging off',
      );
      const id = `log-off-${randomUUID()}`;
      await request(t.url).get('/probe/slow?ms=1').set('X-Request-ID', id).expect(200);
      // The analytics observer runs after the logging one on 'finish': once the row is
      // stored, a summary line would already have been written.
      await waitForRow(id);
      assert.deepEqual(logsOf(id, 'request completed'), []);

      await switchTo([[['middleware', 'logging', 'enabled'], true]], (s) => s.logging.enabled, 'logging on');
      const back = `log-back-${randomUUID()}`;
      await request(t.url).get('/probe/slow?ms=1').set('X-Request-ID', back).expect(200);
      await waitForSummaryLine(back);
    });
  });

  describe('analytics', () => {
    it('stores route pattern, status, latency, principal, engine and voice', async () => {
      const id = `an-${randomUUID()}`;
      await request(t.url)
        .post('/probe/echo')
        .set('X-Request-ID', id)
        .send({ text: 'hi', count: 1 })
        .expect(201);
      const row = await waitForRow(id);
      assert.equal(row.method, 'POST');
      assert.equal(row.route, '/probe/echo');
      assert.equal(row.status_code, 201);
      assert.ok(Number.isInteger(row.latency_ms) && row.latency_ms >= 0);
      assert.match(row.principal ?? '', /127\.0\.0\.1$/);
      assert.equal(row.engine, 'probe-engine');
      assert.equal(row.voice, 'probe-voice');
      assert.equal(row.error_code, null);
    });

    it('stores the route pattern, not the raw URL with its query', async () => {
      const id = `an-q-${randomUUID()}`;
      await request(t.url).get('/probe/slow?ms=2').set('X-Request-ID', id).expect(200);
      const row = await waitForRow(id);
      assert.equal(row.route, '/probe/slow');
      assert.equal(row.engine, null);
    });

    it('stores the error code of an error answer', async () => {
      const id = `an-err-${randomUUID()}`;
      await request(t.url)
        .post('/probe/echo')
        .set('X-Request-ID', id)
        .send({ text: 5, count: 99 })
        .expect(400);
      const row = await waitForRow(id);
      assert.equal(row.status_code, 400);
      assert.equal(row.error_code, 'VALIDATION_FAILED');
      assert.equal(row.route, '/probe/echo');

      const notFoundId = `an-404-${randomUUID()}`;
      await request(t.url).get('/no/such/route').set('X-Request-ID', notFoundId).expect(404);
      const notFound = await waitForRow(notFoundId);
      assert.equal(notFound.status_code, 404);
      assert.equal(notFound.error_code, 'ROUTE_NOT_FOUND');
    });

    it('stores nothing when off', async () => {
      await switchTo(
        [[['middleware', 'analytics', 'enabled'], false]],
        (s) => !s.analytics.enabled,
        'analytics off',
      );
      const id = `an-off-${randomUUID()}`;
      await request(t.url)
        .post('/probe/echo')
        .set('X-Request-ID', id)
        .send({ text: 'hi', count: 1 })
        .expect(201);
      // The logging observer runs before the analytics one on 'finish': once the summary
      // line is written, an analytics event would already be buffered.
      await waitForSummaryLine(id);
      await analytics.flush();
      assert.deepEqual(await rowsOf(id), []);

      await switchTo(
        [[['middleware', 'analytics', 'enabled'], true]],
        (s) => s.analytics.enabled,
        'analytics on',
      );
      const back = `an-back-${randomUUID()}`;
      await request(t.url)
        .post('/probe/echo')
        .set('X-Request-ID', back)
        .send({ text: 'hi', count: 1 })
        .expect(201);
      await waitForRow(back);
      assert.deepEqual(await rowsOf(id), [], 'still nothing for the request served while off');
    });

    it('flush() writes everything buffered, beyond one batch and while another write runs', async () => {
      const prefix = `bulk-${randomUUID()}`;
      // 450 events: the 200th and 400th start background writes; the final flush must still drain all.
      for (let i = 0; i < 450; i++) {
        analytics.record({
          requestId: `${prefix}-${i}`,
          method: 'GET',
          route: '/bulk',
          statusCode: 200,
          latencyMs: 1,
          principal: null,
          engine: null,
          voice: null,
          audioSeconds: null,
          errorCode: null,
        });
      }
      await analytics.flush();
      const [row] = await t.gateway.database.dataSource.query<Array<{ count: number }>>(
        'SELECT count(*)::int AS count FROM analytics_events WHERE request_id LIKE $1',
        [`${prefix}-%`],
      );
      assert.equal(row?.count, 450);
    });

    it('purges rows older than retention_days, keeping younger ones', async () => {
      const oldId = `ret-old-${randomUUID()}`;
      const youngId = `ret-young-${randomUUID()}`;
      const insert = `INSERT INTO analytics_events (request_id, method, route, status_code, latency_ms, created_at)
                      VALUES ($1, 'GET', '/retention', 200, 1, now() - ($2 || ' days')::interval)`;
      await t.gateway.database.dataSource.query(insert, [oldId, '40']);
      await t.gateway.database.dataSource.query(insert, [youngId, '1']);

      // With a long window nothing of ours is old enough.
      await switchTo(
        [[['middleware', 'analytics', 'retention_days'], 60]],
        (s) => s.analytics.retention_days === 60,
        'retention 60 days',
      );
      assert.equal(await analytics.purgeExpired(), 0);
      assert.equal((await rowsOf(oldId)).length, 1);

      await switchTo(
        [[['middleware', 'analytics', 'retention_days'], 30]],
        (s) => s.analytics.retention_days === 30,
        'retention 30 days',
      );
      assert.equal(await analytics.purgeExpired(), 1);
      assert.deepEqual(await rowsOf(oldId), []);
      assert.equal((await rowsOf(youngId)).length, 1);
    });
  });
  describe('aborted requests', () => {
    it('logs and records a request the client abandoned as 499', async () => {
      const requestId = `abort-${randomUUID()}`;
      const server = t.gateway.app.getHttpServer() as http.Server;
      const connections = () =>
        new Promise<number>((resolve, reject) =>
          server.getConnections((error: Error | null, count: number) =>
            error ? reject(error) : resolve(count),
          ),
        );
      const baseline = await connections();
      const client = http.get(`${t.url}/probe/slow?ms=600`, { headers: { 'X-Request-ID': requestId } });
      client.on('error', () => undefined);
      await waitFor(async () => (await connections()) > baseline, 'the request to reach the server');
      // The handler takes 600 ms; leaving after 100 ms abandons it mid-flight.
      await new Promise((resolve) => setTimeout(resolve, 100));
      client.destroy();

      const line = await waitFor(
        () => logsOf(requestId, 'request aborted by the client')[0],
        'the aborted-request line',
      );
      assert.equal(line['status'], 499);
      const row = await waitForRow(requestId);
      assert.equal(row.status_code, 499);
    });
  });
});
