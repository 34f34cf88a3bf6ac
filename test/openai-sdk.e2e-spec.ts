import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import request from 'supertest';
import { probeAudio } from '../src/audio/testing/probe.js';
import { startTestGateway, type TestGateway, waitForVoices } from './support/test-gateway.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';

describe('the official openai SDK against /v1', () => {
  let t: TestGateway;
  let client: OpenAI;
  before(async () => {
    t = await startTestGateway({ config: ESPEAK_TEST_CONFIG });
    await waitForVoices(t.url);
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'not-checked-yet', maxRetries: 0 });
  });
  after(() => t.close());

  it('creates speech with an OpenAI voice name, as mp3 by default', async () => {
    const response = await client.audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input: 'Hello from the SDK.',
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const probed = await probeAudio(bytes);
    assert.equal(probed.codec, 'mp3');
    assert.ok(probed.decodedSeconds > 0.5 && probed.decodedSeconds < 5);
  });

  it('honours response_format and speed', async () => {
    const slow = await client.audio.speech.create({
      model: 'tts-1',
      voice: 'echo',
      input: 'Speed test sentence.',
      response_format: 'wav',
      speed: 0.5,
    });
    const fast = await client.audio.speech.create({
      model: 'tts-1',
      voice: 'echo',
      input: 'Speed test sentence.',
      response_format: 'wav',
      speed: 2,
    });
    const slowSeconds = (await probeAudio(Buffer.from(await slow.arrayBuffer()))).decodedSeconds;
    const fastSeconds = (await probeAudio(Buffer.from(await fast.arrayBuffer()))).decodedSeconds;
    assert.ok(slowSeconds > fastSeconds * 2, `${slowSeconds} vs ${fastSeconds}`);
  });

  it('streams server-sent events with base64 PCM deltas', async () => {
    const response = await client.audio.speech.create({
      model: 'gpt-4o-mini-tts',
      voice: 'nova',
      input: 'Streaming with events.',
      stream_format: 'sse',
    });
    const text = await response.text();
    const events = text
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => JSON.parse(block.slice(6)) as { type: string; audio?: string });
    const deltas = events.filter((e) => e.type === 'speech.audio.delta');
    assert.ok(deltas.length >= 1);
    assert.equal(events.at(-1)?.type, 'speech.audio.done');
    const pcm = Buffer.concat(deltas.map((e) => Buffer.from(e.audio ?? '', 'base64')));
    assert.ok(pcm.length / 2 / 22050 > 0.5);
  });

  it('lists models and voices', async () => {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe'],
    );
    const voices = await request(t.url).get('/v1/audio/voices').expect(200);
    const ids = voices.body.data.map((v: { id: string }) => v.id);
    assert.ok(ids.includes('alloy') && ids.includes('en-us'));
  });

  it('reports errors in OpenAI’s shape, which the SDK understands', async () => {
    await assert.rejects(
      client.audio.speech.create({ model: 'tts-1', voice: 'no-such-voice', input: 'Hi' }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 404);
        assert.equal(error.code, 'voice_not_found');
        return true;
      },
    );
    await assert.rejects(
      client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: '' }),
      (error: unknown) => error instanceof OpenAI.APIError && error.status === 400,
    );
  });
});
