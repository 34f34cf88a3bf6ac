import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { startTestGateway, type TestGateway, waitForVoices } from './support/test-gateway.js';

describe('resilience endpoints', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: { ...ESPEAK_TEST_CONFIG, routers: { core: { tts: { cache: { enabled: false } } } } },
    });
    await waitForVoices(t.url);
  });
  after(() => t.close());

  it('counts engine calls and reports latency percentiles per engine', async () => {
    for (let i = 0; i < 3; i++)
      await request(t.url)
        .post('/tts')
        .send({ text: `Counted call ${i}.` })
        .expect(200);
    const metrics = await request(t.url).get('/resilience/metrics').expect(200);
    const espeak = metrics.body.data.engines.find((e: { id: string }) => e.id === 'espeak');
    assert.ok(espeak.calls >= 3 && espeak.successes >= 3, JSON.stringify(espeak));
    assert.equal(espeak.failures, 0);
    assert.equal(espeak.breaker.state, 'closed');
    assert.ok(espeak.latency.p50 !== null && espeak.latency.p99 >= espeak.latency.p50);
  });

  it('shows breaker states, one breaker, and 404 for an unknown one', async () => {
    const all = await request(t.url).get('/circuit-breakers/status').expect(200);
    assert.deepEqual(
      all.body.data.breakers.map((b: { name: string; state: string }) => [b.name, b.state]),
      [['espeak', 'closed']],
    );
    const one = await request(t.url).get('/circuit-breakers/espeak/status').expect(200);
    assert.equal(one.body.data.state, 'closed');
    const missing = await request(t.url).get('/circuit-breakers/nope/status').expect(404);
    assert.equal(missing.body.metadata.error_code, 'NOT_FOUND');
  });

  it('resets an engine: zeroed counters, still serving', async () => {
    const res = await request(t.url).post('/circuit-breakers/espeak/reset').expect(200);
    assert.equal(res.body.data.state, 'closed');
    const metrics = await request(t.url).get('/resilience/metrics').expect(200);
    assert.equal(metrics.body.data.engines[0].calls, 0);
    await request(t.url).post('/tts').send({ text: 'After the reset.' }).expect(200);
    await request(t.url).post('/circuit-breakers/nope/reset').expect(404);
  });

  it('changes settings through the validated config path', async () => {
    const res = await request(t.url)
      .post('/resilience/config')
      .send({ circuit_breaker: { failure_threshold: 7 }, retry: { max_attempts: 2 } })
      .expect(200);
    assert.equal(res.body.data.circuit_breaker.failure_threshold, 7);
    const status = await request(t.url).get('/resilience/status').expect(200);
    assert.equal(status.body.data.settings.retry.max_attempts, 2);
    const config = await request(t.url).get('/config').expect(200);
    assert.equal(config.body.data.resilience.circuit_breaker.failure_threshold, 7);

    const bad = await request(t.url)
      .post('/resilience/config')
      .send({ bulkhead: { max_concurrent: 0 } })
      .expect(400);
    assert.equal(bad.body.metadata.error_code, 'CONFIG_INVALID');
    assert.ok(bad.body.data.errors.some((e: string) => e.startsWith('resilience.bulkhead.max_concurrent ')));
    await request(t.url).post('/tts').send({ text: 'Rebuilt with the new settings.' }).expect(200);
  });
});
