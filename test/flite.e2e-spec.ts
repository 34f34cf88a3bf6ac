import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import request from 'supertest';
import { probeAudio } from '../src/audio/testing/probe.js';
import { startTestGateway, type TestGateway, waitForVoices } from './support/test-gateway.js';

/*
 * flite, the second local TTS engine, through the real HTTP server with the engines and
 * the route fallback chain exactly as config/config.yaml ships them.
 */
interface ShippedConfig {
  engines: { tts: Array<{ id: string; type: string; options?: Record<string, unknown> }> };
  routers: { core: { tts: { fallback: string[] } } };
}
const shipped = yaml.load(readFileSync('config/config.yaml', 'utf8')) as ShippedConfig;
const shippedTts = shipped.engines.tts;

interface VoiceJson {
  name: string;
  engine: string;
  language: string;
  gender: string;
  description: string;
}

let sequence = 0;
const fresh = (what: string): string => `${what}, request ${++sequence} at ${Date.now()}.`;

/** The shipped engine list with one entry's options replaced. */
const withOptions = (id: string, options: Record<string, unknown>) =>
  shippedTts.map((entry) => (entry.id === id ? { ...entry, options } : entry));

void describe('flite engine (shipped config)', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: {
        features: { library_integration: true },
        engines: { tts: shippedTts },
        routers: { core: { tts: { fallback: shipped.routers.core.tts.fallback } } },
      },
    });
    await waitForVoices(t.url, 'engine=flite', 4);
    await waitForVoices(t.url, 'engine=espeak');
  });
  after(() => t.close());

  void it('lists flite voices with their genders; ?gender=female includes slt', async () => {
    const flite = await request(t.url).get('/tts/voices?engine=flite').expect(200);
    const voices = flite.body.data.voices as VoiceJson[];
    assert.deepEqual(voices.map((v) => `${v.name}:${v.language}:${v.gender}`).sort(), [
      'awb:en-gb-scotland:male',
      'kal16:en-us:male',
      'rms:en-us:male',
      'slt:en-us:female',
    ]);
    const female = await request(t.url).get('/tts/voices?gender=female').expect(200);
    const slt = (female.body.data.voices as VoiceJson[]).find((v) => v.name === 'slt');
    assert.equal(slt?.engine, 'flite');
    assert.equal(slt?.description, 'US English female (CMU ARCTIC slt)');
  });

  void it('speaks /tts with a flite voice', async () => {
    const response = await fetch(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: fresh('Hello from flite'), voice: 'slt', response_format: 'wav' }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-engine'), 'flite');
    assert.equal(response.headers.get('x-sample-rate'), '16000');
    const audio = await probeAudio(new Uint8Array(await response.arrayBuffer()));
    assert.equal(audio.sampleRate, 16000);
    assert.ok(audio.decodedSeconds > 1 && audio.decodedSeconds < 6, `${audio.decodedSeconds} s`);
  });

  void it('speaks /v1/audio/speech with a flite voice, slower at speed 0.5', async () => {
    const speak = async (speed: number) => {
      const response = await fetch(`${t.url}/v1/audio/speech`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'tts-1', input: 'The same words twice.', voice: 'rms', speed }),
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'audio/mpeg');
      return probeAudio(new Uint8Array(await response.arrayBuffer()));
    };
    const [normal, slow] = [await speak(1), await speak(0.5)];
    assert.equal(normal.codec, 'mp3');
    assert.ok(normal.decodedSeconds > 0.5, `${normal.decodedSeconds} s`);
    assert.ok(slow.decodedSeconds > normal.decodedSeconds * 1.6, `${slow.decodedSeconds} s`);
  });

  void it('falls back espeak → flite when espeak is unavailable, and flite → espeak', async () => {
    const speak = async (voice: string) => {
      const response = await fetch(`${t.url}/tts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: fresh('A local engine is down'), voice, response_format: 'wav' }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      assert.ok((await response.arrayBuffer()).byteLength > 44);
      return [response.headers.get('x-engine'), response.headers.get('x-fallback-from')];
    };
    // espeak's program is required (backend: native) and missing: espeak cannot serve.
    const brokenEspeak = { backend: 'native', native_binary: '/nonexistent/espeak-ng', workers: 1 };
    await request(t.url)
      .patch('/config')
      .send({ engines: { tts: withOptions('espeak', brokenEspeak) } })
      .expect(200);
    assert.deepEqual(await speak('en-us'), ['flite', 'espeak']);

    const brokenFlite = { binary: '/nonexistent/flite' };
    await request(t.url)
      .patch('/config')
      .send({ engines: { tts: withOptions('flite', brokenFlite) } })
      .expect(200);
    assert.deepEqual(await speak('slt'), ['espeak', 'flite']);
    const health = await request(t.url)
      .get('/health')
      .expect((res) => assert.ok(res.status < 600));
    const flite = (health.body.data.engines.tts as Array<{ id: string; reason?: string }>).find(
      (e) => e.id === 'flite',
    );
    assert.match(flite?.reason ?? '', /apt-get install flite/);
  });
});
