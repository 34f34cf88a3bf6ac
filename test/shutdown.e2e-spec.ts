import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ProbeModule } from './support/probe.module.js';
import { startTestGateway, waitFor, type TestGateway } from './support/test-gateway.js';

interface Envelope<T> {
  status: 'success' | 'error';
  data: T;
  metadata: { request_id: string; error_code: string | null };
}

function connectionCount(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

describe('graceful shutdown', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ extraModules: [ProbeModule] });
  });
  after(() => t.close());

  it('lets an in-flight request finish, refuses new requests with 503 while it does, and closes once', async (context) => {
    const server = t.gateway.app.getHttpServer() as Server;
    await request(t.url).get('/health/live').expect(200);

    let inFlightSettled = false;
    const inFlight = request(t.url)
      .get('/probe/slow?ms=2500')
      .set('X-Request-ID', 'in-flight-1')
      .then((res) => {
        inFlightSettled = true;
        return res;
      });
    // The request's connection is open; a short delay lets its headers reach the handler.
    await waitFor(async () => (await connectionCount(server)) >= 1, 'the in-flight connection');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    let closeSettled = false;
    const closing = t.gateway.close().finally(() => {
      closeSettled = true;
    });

    // While the slow request is served, new requests are refused (readiness too), liveness answers.
    const ready = await request(t.url).get('/health/ready');
    assert.equal(ready.status, 503);
    assert.equal((ready.body as Envelope<unknown>).metadata.error_code, 'SERVICE_NOT_READY');
    assert.ok(Number(ready.headers['retry-after']) > 0, 'Retry-After on the refusal');
    assert.equal(ready.headers['connection'], 'close');
    const refused = await request(t.url).get('/probe/slow?ms=1');
    assert.equal(refused.status, 503);
    assert.equal((refused.body as Envelope<unknown>).metadata.error_code, 'SERVICE_NOT_READY');
    await request(t.url).get('/health/live').expect(200);
    assert.equal(inFlightSettled, false, 'the refusals came while the in-flight request was served');
    assert.equal(closeSettled, false, 'close waits for the in-flight request');

    const res = await inFlight;
    assert.equal(res.status, 200);
    const body = res.body as Envelope<{ waited_ms: number }>;
    assert.equal(body.status, 'success');
    assert.deepEqual(body.data, { waited_ms: 2500 });
    assert.equal(res.headers['connection'], 'close', 'the in-flight answer lets its connection go');
    assert.equal(body.metadata.request_id, 'in-flight-1');

    await closing;
    const elapsed = Date.now() - started;
    context.diagnostic(`close took ${elapsed} ms`);
    assert.equal(server.listening, false);
    await assert.rejects(
      request(t.url).get('/health/live').timeout(2000),
      // supertest reports a refused connection as an error whose message starts with the code.
      (error: Error) =>
        /ECONNREFUSED/.test(`${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}`),
      'nothing connects once closed',
    );
    // Not cut by the 5 s shutdown timeout, nor kept open by an idle keep-alive connection.
    assert.ok(elapsed < 4800, `close took ${elapsed} ms`);
    assert.ok(
      t.logs.some((line) => line['msg'] === 'speech-gateway stopped'),
      'the stop is logged',
    );
    assert.equal(t.gateway.database.dataSource.isInitialized, false, 'the database is closed');

    // close() is memoised: a second call (TestGateway.close in `after` makes one too) is harmless.
    const stoppedLines = t.logs.filter((line) => line['msg'] === 'speech-gateway stopped').length;
    await t.gateway.close();
    assert.equal(
      t.logs.filter((line) => line['msg'] === 'speech-gateway stopped').length,
      stoppedLines,
      'the second close does not run the shutdown again',
    );
  });
});
