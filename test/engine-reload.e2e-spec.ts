import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { probeAudio } from '../src/audio/testing/probe.js';
import { startTestGateway, type TestGateway, waitForVoices } from './support/test-gateway.js';

describe('engines rebuilt on a live config change', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: {
        features: { library_integration: true },
        engines: { tts: [{ id: 'espeak', type: 'espeak', options: { backend: 'wasm', workers: 1 } }] },
      },
    });
    await waitForVoices(t.url);
  });
  after(() => t.close());

  it('finishes a request in flight on the old engine while new requests use the new one', async () => {
    const text = 'An in-flight request keeps its engine while the configuration changes. '.repeat(30);
    const response = await fetch(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text, stream: true, response_format: 'pcm' }),
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const parts: Buffer[] = [];
    const first = await reader.read();
    assert.ok(!first.done);
    parts.push(Buffer.from(first.value));

    // The stream holds the engine now; replace it (a changed entry is rebuilt).
    await request(t.url)
      .patch('/config')
      .send({
        engines: { tts: [{ id: 'espeak', type: 'espeak', options: { backend: 'wasm', workers: 2 } }] },
      })
      .expect(200);
    const fresh = await request(t.url)
      .post('/tts')
      .set('Accept', 'application/json')
      .send({ text: 'Served by the new engine.' });
    assert.equal(fresh.status, 200);

    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(Buffer.from(value));
    }
    const seconds = Buffer.concat(parts).length / 2 / 22050;
    assert.ok(seconds > text.length / 25, `the in-flight answer is complete (${seconds.toFixed(1)} s)`);

    const health = await request(t.url).get('/health').expect(200);
    assert.deepEqual(
      health.body.data.engines.tts.map((e: { id: string; available: boolean }) => [e.id, e.available]),
      [['espeak', true]],
    );
  });

  it('reports an engine with invalid options as unavailable, naming the option, and recovers', async () => {
    await request(t.url)
      .patch('/config')
      .send({
        engines: { tts: [{ id: 'espeak', type: 'espeak', options: { backend: 'wasm', workers: 99 } }] },
      })
      .expect(200);
    const voices = await request(t.url).get('/tts/voices').expect(200);
    const espeak = voices.body.data.engines[0];
    assert.equal(espeak.available, false);
    assert.match(espeak.reason, /workers/);
    const res = await request(t.url)
      .post('/tts')
      .send({ text: `Unavailable ${performance.now()}` });
    assert.equal(res.status, 503);
    assert.equal(res.body.metadata.error_code, 'ENGINE_UNAVAILABLE');

    await request(t.url)
      .patch('/config')
      .send({
        engines: { tts: [{ id: 'espeak', type: 'espeak', options: { backend: 'wasm', workers: 1 } }] },
      })
      .expect(200);
    const wav = await fetch(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'Back again.' }),
    });
    assert.equal(wav.status, 200);
    assert.ok((await probeAudio(Buffer.from(await wav.arrayBuffer()))).decodedSeconds > 0.3);
  });
});
