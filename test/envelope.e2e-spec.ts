import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ProbeModule } from './support/probe.module.js';
import { startTestGateway, type TestGateway } from './support/test-gateway.js';

describe('responses and errors', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ extraModules: [ProbeModule], config: { server: { max_json_body_kb: 1 } } });
  });
  after(() => t.close());

  it('wraps a success in the envelope with metadata', async () => {
    const res = await request(t.url).get('/health').expect(200);
    assert.equal(res.body.status, 'success');
    assert.equal(typeof res.body.message, 'string');
    assert.ok(res.body.data);
    const metadata = res.body.metadata;
    assert.equal(metadata.error_code, null);
    assert.equal(metadata.request_id, res.headers['x-request-id']);
    assert.ok(!Number.isNaN(Date.parse(metadata.timestamp)));
    assert.equal(typeof metadata.execution_time, 'number');
    assert.ok(metadata.execution_time >= 0 && metadata.execution_time < 5);
  });

  it('answers an unknown route with 404 ROUTE_NOT_FOUND in the envelope', async () => {
    const res = await request(t.url).get('/no/such/route').expect(404);
    assert.equal(res.body.status, 'error');
    assert.equal(res.body.metadata.error_code, 'ROUTE_NOT_FOUND');
    assert.equal(res.body.metadata.request_id, res.headers['x-request-id']);
  });

  it('answers invalid DTO fields with 400 VALIDATION_FAILED and the field list', async () => {
    const res = await request(t.url)
      .post('/probe/echo')
      .send({ text: 5, count: 99, extra: true })
      .expect(400);
    assert.equal(res.body.metadata.error_code, 'VALIDATION_FAILED');
    const fields = (res.body.data.fields as Array<{ field: string }>).map((f) => f.field).sort();
    assert.deepEqual(fields, ['count', 'extra', 'text']);
  });

  it('accepts a valid DTO', async () => {
    const res = await request(t.url).post('/probe/echo').send({ text: 'hi', count: 2 }).expect(201);
    assert.deepEqual(res.body.data, { text: 'hi', count: 2 });
  });

  it('answers malformed JSON with 400 MALFORMED_JSON, not a 500', async () => {
    const res = await request(t.url)
      .post('/probe/echo')
      .set('Content-Type', 'application/json')
      .send('{"text": ')
      .expect(400);
    assert.equal(res.body.metadata.error_code, 'MALFORMED_JSON');
  });

  it('answers an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await request(t.url)
      .post('/probe/echo')
      .send({ text: 'x'.repeat(4096), count: 1 })
      .expect(413);
    assert.equal(res.body.metadata.error_code, 'PAYLOAD_TOO_LARGE');
  });

  it('hides unknown errors behind a generic 500 with the request id, logging the detail', async () => {
    const res = await request(t.url).get('/probe/crash').set('X-Request-ID', 'crash-1').expect(500);
    assert.equal(res.body.metadata.error_code, 'INTERNAL_ERROR');
    assert.equal(res.body.metadata.request_id, 'crash-1');
    const text = JSON.stringify(res.body);
    assert.ok(!text.includes('hunter2'), 'no error detail in the response');
    assert.ok(!text.includes('.ts:'), 'no stack trace in the response');
    const logged = t.logs.find(
      (line) => line['msg'] === 'unhandled error' && line['request_id'] === 'crash-1',
    );
    assert.ok(logged, 'the detail goes to the log with the request id');
  });

  it('answers 500, not 499, when a handler fails after reading a request body', async () => {
    const res = await request(t.url).post('/probe/crash').send({ text: 'hello', count: 1 }).expect(500);
    assert.equal(res.body.metadata.error_code, 'INTERNAL_ERROR');
    assert.ok(!JSON.stringify(res.body).includes('hunter2'));
  });

  it('answers under /v1/ in the OpenAI error shape', async () => {
    const res = await request(t.url).get('/v1/no-such-thing').expect(404);
    assert.equal(res.body.error.type, 'not_found_error');
    assert.equal(typeof res.body.error.message, 'string');
    assert.equal(res.body.status, undefined);
  });

  it('serves the OpenAPI document generated from the controllers', async () => {
    const res = await request(t.url).get('/docs-json').expect(200);
    assert.ok(res.body.paths['/health']);
    assert.ok(res.body.paths['/config']);
    assert.ok(res.body.paths['/files/{folder}']);
    await request(t.url).get('/docs').expect(200);
  });
});
