import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ProbeModule } from './support/probe.module.js';
import { startTestGateway, waitFor, type TestGateway } from './support/test-gateway.js';

interface Envelope {
  status: 'success' | 'error';
  metadata: { request_id: string; error_code: string | null };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('X-Request-ID', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ extraModules: [ProbeModule] });
  });
  after(() => t.close());

  function requestIdsOf(res: request.Response): { header: string | undefined; body: string } {
    return { header: res.headers['x-request-id'], body: (res.body as Envelope).metadata.request_id };
  }

  it('echoes a valid id in the header, in metadata.request_id and in the log lines of the request', async () => {
    const id = 'client-req_42.a:b-C';
    const res = await request(t.url).get('/probe/slow?ms=1').set('X-Request-ID', id).expect(200);
    assert.deepEqual(requestIdsOf(res), { header: id, body: id });
    const summary = await waitFor(
      () => t.logs.find((line) => line['request_id'] === id && line['msg'] === 'request completed'),
      'the summary line of the request',
    );
    assert.equal(summary['path'], '/probe/slow');

    // Lines written through the logger inside the request carry the id as well (request context).
    const crashId = 'client-crash-7';
    const crash = await request(t.url).get('/probe/crash').set('X-Request-ID', crashId).expect(500);
    assert.deepEqual(requestIdsOf(crash), { header: crashId, body: crashId });
    const unhandled = t.logs.find((line) => line['msg'] === 'unhandled error');
    assert.equal(unhandled?.['request_id'], crashId);
  });

  it('accepts an id of exactly 128 characters', async () => {
    const id = 'a'.repeat(128);
    const res = await request(t.url).get('/health/live').set('X-Request-ID', id).expect(200);
    assert.deepEqual(requestIdsOf(res), { header: id, body: id });
  });

  for (const [label, invalid] of [
    ['300 characters', 'x'.repeat(300)],
    ['129 characters', 'y'.repeat(129)],
    ['markup', '<script>alert(1)</script>'],
    ['spaces', 'has spaces in it'],
    ['a quote', 'abc"def'],
  ] as const) {
    it(`replaces an invalid id (${label}) with a generated UUID`, async () => {
      const res = await request(t.url).get('/probe/slow?ms=1').set('X-Request-ID', invalid).expect(200);
      const ids = requestIdsOf(res);
      assert.match(ids.header ?? '', UUID);
      assert.equal(ids.body, ids.header);
      const summary = await waitFor(
        () => t.logs.find((line) => line['request_id'] === ids.header && line['msg'] === 'request completed'),
        'the summary line under the generated id',
      );
      assert.equal(summary['path'], '/probe/slow');
      assert.ok(
        !t.rawLogs.some((line) => line.includes(invalid)),
        'the rejected id is never written to the log',
      );
    });
  }

  it('replaces an invalid id on an error answer too', async () => {
    const res = await request(t.url).get('/no/such/route').set('X-Request-ID', '<bad id>').expect(404);
    const ids = requestIdsOf(res);
    assert.match(ids.header ?? '', UUID);
    assert.equal(ids.body, ids.header);
    assert.equal((res.body as Envelope).metadata.error_code, 'ROUTE_NOT_FOUND');
  });

  it('generates a distinct UUID per request when the header is absent', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await request(t.url).get('/health/live').expect(200);
      const { header, body } = requestIdsOf(res);
      assert.match(header ?? '', UUID);
      assert.equal(body, header);
      ids.push(body);
    }
    assert.equal(new Set(ids).size, ids.length, 'every request gets its own id');
  });
});
