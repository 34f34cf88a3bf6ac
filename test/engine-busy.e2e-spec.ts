import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { startTestGateway, type TestGateway, waitForVoices } from './support/test-gateway.js';

describe('an engine at its bulkhead limit', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: {
        features: { library_integration: true },
        routers: { core: { tts: { cache: { enabled: false } } } },
        resilience: { bulkhead: { max_concurrent: 1, queue: 0 } },
        engines: { tts: [{ id: 'espeak', type: 'espeak', options: { backend: 'wasm', workers: 1 } }] },
      },
    });
    await waitForVoices(t.url);
  });
  after(() => t.close());

  it('refuses the overflow with 503 ENGINE_BUSY and Retry-After, and serves the rest', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        request(t.url)
          .post('/tts')
          .set('Accept', 'application/json')
          .send({ text: `Request number ${i} arrives with the others at the same time.` }),
      ),
    );
    const served = answers.filter((res) => res.status === 200);
    const busy = answers.filter((res) => res.status === 503);
    assert.ok(served.length >= 1, 'at least the first is served');
    assert.ok(busy.length >= 1, `some are refused (statuses ${answers.map((r) => r.status).join(',')})`);
    assert.equal(served.length + busy.length, answers.length);
    for (const res of busy) {
      assert.equal(res.body.metadata.error_code, 'ENGINE_BUSY');
      assert.ok(Number(res.headers['retry-after']) >= 1);
    }
    // Once the burst is over the engine serves again.
    await request(t.url).post('/tts').send({ text: 'After the burst.' }).expect(200);
  });
});
