import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { probeAudio } from '../src/audio/testing/probe.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { startTestGateway, type TestGateway, waitFor } from './support/test-gateway.js';

/** A second gateway whose only engine is the first gateway, reached through its OpenAI surface. */
describe('an OpenAI-compatible engine pointing at another speech-gateway', () => {
  let upstream: TestGateway;
  let gateway: TestGateway;
  before(async () => {
    upstream = await startTestGateway({ config: ESPEAK_TEST_CONFIG });
    await waitFor(
      async () =>
        (await request(upstream.url).get('/tts/voices?language=en-us')).body.data?.voices?.length > 0,
      'upstream voices',
      60_000,
    );
    gateway = await startTestGateway({
      config: {
        engines: {
          tts: [
            {
              id: 'peer',
              type: 'openai',
              options: {
                base_url: `${upstream.url}/v1`,
                model: 'tts-1',
                voices: ['en-us', 'de'],
                language: 'en',
                // espeak-ng's rate, and the upstream's answers are finished audio: pass them through.
                sample_rate: 22050,
                final_audio: true,
              },
            },
          ],
        },
      },
    });
    await waitFor(
      async () => (await request(gateway.url).get('/tts/voices?engine=peer')).body.data?.voices?.length === 2,
      'peer voices seeded',
      30_000,
    );
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('reports the remote engine as available and synthesises through it', async () => {
    const voices = await request(gateway.url).get('/tts/voices').expect(200);
    assert.deepEqual(
      voices.body.data.engines.map((e: { id: string; kind: string; available: boolean }) => [
        e.id,
        e.kind,
        e.available,
      ]),
      [['peer', 'remote', true]],
    );
    const text = 'Served by the upstream gateway.';
    const response = await fetch(`${gateway.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text, voice: 'en-us', response_format: 'mp3', speed: 1.5, pitch: 1.2 }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-engine'), 'peer');
    assert.equal(response.headers.get('x-ignored-params'), 'pitch', 'OpenAI speech has speed but no pitch');
    const remote = await probeAudio(Buffer.from(await response.arrayBuffer()));

    const direct = await fetch(`${upstream.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text, voice: 'en-us', response_format: 'wav', speed: 1.5 }),
    });
    const local = await probeAudio(Buffer.from(await direct.arrayBuffer()));
    assert.ok(
      Math.abs(remote.decodedSeconds - local.decodedSeconds) < 0.25 * local.decodedSeconds,
      `through the peer ${remote.decodedSeconds}s, directly ${local.decodedSeconds}s`,
    );
  });

  it('returns the upstream’s audio byte for byte for the same request', async () => {
    // One chunk, WAV at espeak's rate: the peer decodes the upstream's WAV losslessly and,
    // its audio being final, encodes it untouched. The upstream's cache makes its answer to
    // the same request repeatable (espeak-ng's output can differ by a few samples between runs).
    const speech = {
      model: 'tts-1',
      input: 'The same bytes through two gateways.',
      voice: 'en-us',
      response_format: 'wav',
    };
    const post = (url: string) =>
      fetch(`${url}/v1/audio/speech`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(speech),
      });
    const through = await post(gateway.url);
    assert.equal(through.status, 200);
    assert.equal(through.headers.get('x-engine'), 'peer');
    const relayed = Buffer.from(await through.arrayBuffer());
    const direct = await post(upstream.url);
    assert.equal(direct.status, 200);
    assert.equal(direct.headers.get('x-cache'), 'hit', 'the upstream answered the peer the same request');
    const original = Buffer.from(await direct.arrayBuffer());
    assert.ok(original.length > 1000);
    assert.ok(
      relayed.equals(original),
      `${relayed.length} bytes through the peer, ${original.length} directly`,
    );
  });

  it('answers 503 ENGINE_UNAVAILABLE when the upstream is gone', async () => {
    await upstream.close();
    const res = await request(gateway.url)
      .post('/tts')
      .send({ text: `Nobody home ${performance.now()}`, voice: 'en-us' });
    assert.ok([502, 503].includes(res.status), `status ${res.status}`);
    assert.ok(['ENGINE_FAILED', 'ENGINE_UNAVAILABLE'].includes(res.body.metadata.error_code));
    const voices = await waitFor(
      async () => {
        const r = await request(gateway.url).get('/tts/voices').expect(200);
        return r.body.data.engines[0].available === false ? r : null;
      },
      'the engine to report itself unavailable',
      20_000,
    );
    assert.ok(voices.body.data.engines[0].reason);
  });
});
