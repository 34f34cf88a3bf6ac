import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { parseDocument } from 'yaml';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { probeAudio } from '../src/audio/testing/probe.js';
import { startTestGateway, type TestGateway, waitFor, waitForVoices } from './support/test-gateway.js';

const SENTENCE = 'Hello from the speech gateway. This is a test.';

async function post(t: TestGateway, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.url}/tts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** Plausible speech length for English text: roughly 8–25 characters a second. */
function assertPlausibleDuration(seconds: number, text: string): void {
  assert.ok(
    seconds > text.length / 25 && seconds < text.length / 8,
    `duration ${seconds}s for ${text.length} chars`,
  );
}

describe('POST /tts with the espeak-ng engine', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: { ...ESPEAK_TEST_CONFIG, routers: { core: { tts: { max_text_length: 8000 } } } },
    });
    await waitForVoices(t.url);
  });
  after(() => t.close());

  it('answers WAV audio by default with duration, rate, voice and engine headers', async () => {
    const { response, bytes } = await post(t, { text: SENTENCE });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'audio/wav');
    assert.equal(response.headers.get('x-voice-used'), 'en-us');
    assert.equal(response.headers.get('x-engine'), 'espeak');
    assert.equal(response.headers.get('x-sample-rate'), '22050');
    const probed = await probeAudio(bytes);
    assert.equal(probed.codec, 'pcm_s16le');
    assert.equal(probed.sampleRate, 22050);
    assert.equal(probed.channels, 1);
    assertPlausibleDuration(probed.decodedSeconds, SENTENCE);
    assert.ok(Math.abs(Number(response.headers.get('x-audio-duration')) - probed.decodedSeconds) < 0.05);
  });

  // [format, codec, raw input format for ffprobe, sample rate a player sees]
  // (ffprobe reports every Ogg Opus stream at 48 kHz, Opus's decoding rate.)
  const FORMATS: Array<[string, string, string | undefined, number]> = [
    ['mp3', 'mp3', undefined, 22050],
    ['opus', 'opus', undefined, 48000],
    ['aac', 'aac', undefined, 22050],
    ['flac', 'flac', undefined, 22050],
    ['pcm', 'pcm_s16le', 's16le', 22050],
  ];
  for (const [format, codec, rawFormat, sampleRate] of FORMATS) {
    it(`encodes ${format} that decodes to the right length`, async () => {
      const { response, bytes } = await post(t, { text: SENTENCE, response_format: format });
      assert.equal(response.status, 200, bytes.toString());
      const probed = rawFormat
        ? {
            codec: 'pcm_s16le',
            decodedSeconds: bytes.length / 2 / Number(response.headers.get('x-sample-rate')),
          }
        : await probeAudio(bytes);
      assert.equal(probed.codec, codec);
      if (!rawFormat) assert.equal((probed as { sampleRate: number }).sampleRate, sampleRate);
      assertPlausibleDuration(probed.decodedSeconds, SENTENCE);
    });
  }

  it('converts the sample rate when asked', async () => {
    const { response, bytes } = await post(t, { text: SENTENCE, response_format: 'mp3', sample_rate: 16000 });
    assert.equal(response.status, 200);
    assert.equal((await probeAudio(bytes)).sampleRate, 16000);
    const wav = await post(t, { text: SENTENCE, response_format: 'wav', sample_rate: 44100 });
    assert.equal((await probeAudio(wav.bytes)).sampleRate, 44100);
  });

  it('answers the JSON envelope when asked, with word timestamps', async () => {
    const res = await request(t.url)
      .post('/tts')
      .set('Accept', 'application/json')
      .send({ text: 'Hello world. This is a test.', timestamps: true, voice: 'en-us' })
      .expect(200);
    const data = res.body.data;
    assert.equal(res.body.status, 'success');
    assert.equal(data.voice_used, 'en-us');
    assert.equal(data.sample_rate, 22050);
    assert.equal(data.text_length, 'Hello world. This is a test.'.length);
    const probed = await probeAudio(Buffer.from(data.audio_base64, 'base64'));
    assert.ok(Math.abs(probed.decodedSeconds - data.duration_seconds) < 0.05);
    const words = data.words as Array<{ word: string; start: number; end: number }>;
    assert.deepEqual(
      words.map((w) => w.word.replace(/[^A-Za-z]/g, '')),
      ['Hello', 'world', 'This', 'is', 'a', 'test'],
    );
    for (let i = 0; i < words.length; i++) {
      const word = words[i];
      assert.ok(word.start < word.end && word.end <= data.duration_seconds + 0.01);
      if (i > 0) assert.ok(word.start >= words[i - 1].start);
    }
    const viaFormat = await request(t.url)
      .post('/tts')
      .send({ text: 'Hi.', response_format: 'json' })
      .expect(200);
    assert.ok(viaFormat.body.data.audio_base64.length > 100);
  });

  it('lists parameters the engine does not support in X-Ignored-Params', async () => {
    const { response } = await post(t, { text: 'Hi.', temperature: 0.3, emotion: 'happy', speed: 1.2 });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-ignored-params'), 'emotion, temperature');
  });

  it('serves an identical request from the cache with the same bytes, without the engine', async () => {
    const body = { text: `Cache me ${Date.now()}.`, response_format: 'mp3' };
    const first = await post(t, body);
    assert.equal(first.response.headers.get('x-cache'), 'miss');
    // With every adapter switched off, only the cache can answer.
    const doc = parseDocument(await readFile(t.configPath, 'utf8'));
    doc.setIn(['features', 'use_adapters'], false);
    await writeFile(t.configPath, doc.toString());
    await waitFor(
      async () => (await post(t, { text: `uncached ${performance.now()}` })).response.status === 503,
      'adapters off',
    );
    const second = await post(t, body);
    assert.equal(second.response.status, 200);
    assert.equal(second.response.headers.get('x-cache'), 'hit');
    assert.ok(second.bytes.equals(first.bytes));
    doc.setIn(['features', 'use_adapters'], true);
    await writeFile(t.configPath, doc.toString());
    await waitFor(
      async () => (await post(t, { text: `uncached ${performance.now()}` })).response.status === 200,
      'adapters on',
    );
  });

  it('answers an engine that cannot serve with 503 ENGINE_UNAVAILABLE and the reason', async () => {
    const doc = parseDocument(await readFile(t.configPath, 'utf8'));
    doc.setIn(['features', 'library_integration'], false);
    await writeFile(t.configPath, doc.toString());
    const res = await waitFor(async () => {
      const r = await request(t.url)
        .post('/tts')
        .send({ text: `Not cached ${performance.now()}` });
      return r.status === 503 ? r : null;
    }, 'library engines off');
    assert.equal(res.body.metadata.error_code, 'ENGINE_UNAVAILABLE');
    assert.match(res.body.message, /library_integration/);
    assert.ok(res.headers['retry-after']);
    const voices = await request(t.url).get('/tts/voices').expect(200);
    const espeak = voices.body.data.engines.find((e: { id: string }) => e.id === 'espeak');
    assert.equal(espeak.available, false);
    assert.match(espeak.reason, /library_integration/);
    doc.setIn(['features', 'library_integration'], true);
    await writeFile(t.configPath, doc.toString());
    await waitFor(
      async () => (await post(t, { text: `Back ${performance.now()}` })).response.status === 200,
      'engine back',
    );
  });

  it('refuses text over max_text_length with 400 TEXT_TOO_LONG', async () => {
    const res = await request(t.url)
      .post('/tts')
      .send({ text: 'a'.repeat(8001) })
      .expect(400);
    assert.equal(res.body.metadata.error_code, 'TEXT_TOO_LONG');
  });

  it('answers an unknown voice with 404 VOICE_NOT_FOUND', async () => {
    const res = await request(t.url).post('/tts').send({ text: 'Hi', voice: 'no-such-voice' }).expect(404);
    assert.equal(res.body.metadata.error_code, 'VOICE_NOT_FOUND');
  });

  it('refuses invalid parameters with 400 and the field list', async () => {
    const res = await request(t.url)
      .post('/tts')
      .send({ text: 'Hi', speed: 9, response_format: 'ogg-vorbis' })
      .expect(400);
    const fields = res.body.data.fields.map((f: { field: string }) => f.field).sort();
    assert.deepEqual(fields, ['response_format', 'speed']);
  });

  it('streams long text: the first audio arrives well before the last', async () => {
    const paragraph =
      'The quick brown fox jumps over the lazy dog, and then it runs far away into the forest. ';
    const text = paragraph.repeat(Math.ceil(6000 / paragraph.length)).slice(0, 6000);
    assert.ok(text.length >= 5000);
    const started = performance.now();
    const response = await fetch(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text, stream: true, response_format: 'mp3' }),
    });
    assert.equal(response.status, 200, response.status === 200 ? '' : await response.text());
    assert.equal(response.headers.get('transfer-encoding'), 'chunked');
    const reader = response.body!.getReader();
    const parts: Buffer[] = [];
    let firstAt = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (parts.length === 0) firstAt = performance.now() - started;
      parts.push(Buffer.from(value));
    }
    const lastAt = performance.now() - started;
    const probed = await probeAudio(Buffer.concat(parts));
    assertPlausibleDuration(probed.decodedSeconds, text);
    assert.ok(
      firstAt < lastAt / 2,
      `first bytes at ${firstAt.toFixed(0)} ms, last at ${lastAt.toFixed(0)} ms`,
    );
  });

  it('streams wav and pcm too', async () => {
    for (const format of ['wav', 'pcm']) {
      const { response, bytes } = await post(t, {
        text: `${SENTENCE} ${SENTENCE}`,
        stream: true,
        response_format: format,
      });
      assert.equal(response.status, 200);
      const seconds = format === 'wav' ? (await probeAudio(bytes)).decodedSeconds : bytes.length / 2 / 22050;
      assertPlausibleDuration(seconds, `${SENTENCE} ${SENTENCE}`);
    }
  });

  it('refuses streaming of formats that need the whole audio', async () => {
    const res = await request(t.url)
      .post('/tts')
      .send({ text: 'Hi', stream: true, response_format: 'flac' })
      .expect(400);
    assert.equal(res.body.metadata.error_code, 'VALIDATION_FAILED');
  });

  it('keeps /v1/tts as an alias', async () => {
    const res = await request(t.url)
      .post('/v1/tts')
      .set('Accept', 'application/json')
      .send({ text: 'Alias.' })
      .expect(200);
    assert.equal(res.body.data.voice_used, 'en-us');
  });
});

describe('GET /tts/voices and /tts/statistics', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ config: ESPEAK_TEST_CONFIG });
    await waitForVoices(t.url, 'engine=espeak', 100);
  });
  after(() => t.close());

  it('lists espeak-ng voices with engine availability', async () => {
    const res = await request(t.url).get('/tts/voices').expect(200);
    const names = res.body.data.voices.map((v: { name: string }) => v.name);
    assert.ok(names.includes('en-us') && names.includes('en-gb'));
    assert.deepEqual(
      res.body.data.engines.map((e: { id: string; available: boolean }) => [e.id, e.available]),
      [['espeak', true]],
    );
  });

  it('filters by language, gender and engine', async () => {
    const english = await request(t.url).get('/tts/voices?language=EN-US').expect(200);
    assert.ok(english.body.data.voices.length >= 1);
    assert.ok(english.body.data.voices.every((v: { language: string }) => v.language === 'en-us'));
    const byEngine = await request(t.url).get('/tts/voices?engine=espeak').expect(200);
    assert.ok(byEngine.body.data.voices.length >= 100);
    assert.ok(byEngine.body.data.voices.every((v: { engine: string }) => v.engine === 'espeak'));
    // espeak-ng's own voice data marks every voice male.
    const male = await request(t.url).get('/tts/voices?gender=male&language=en-gb').expect(200);
    assert.ok(male.body.data.voices.length >= 1);
    assert.ok(male.body.data.voices.every((v: { gender: string }) => v.gender === 'male'));
    const female = await request(t.url).get('/tts/voices?gender=female').expect(200);
    assert.ok(female.body.data.voices.every((v: { gender: string }) => v.gender === 'female'));
  });

  it('rejects bad filter values with 400 before any query', async () => {
    for (const query of [
      'gender=robot',
      "language=en'%3B DROP TABLE voices--",
      'engine=nope',
      'engine=BAD ID',
      'colour=red',
    ]) {
      const res = await request(t.url).get(`/tts/voices?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.metadata.error_code, 'VALIDATION_FAILED', query);
    }
    await request(t.url).get('/tts/voices?language=en-us').expect(200);
  });

  it('reports per voice and engine statistics from analytics', async () => {
    for (let i = 0; i < 3; i++) await post(t, { text: `Statistics ${i}.`, voice: 'en-us' });
    await post(t, { text: 'x'.repeat(6000), voice: 'en-us' });
    const row = await waitFor(async () => {
      const res = await request(t.url).get('/tts/statistics').expect(200);
      const found = res.body.data.rows.find((r: { voice: string }) => r.voice === 'en-us');
      return found && found.requests >= 4 ? found : null;
    }, 'statistics rows');
    assert.equal(row.engine, 'espeak');
    assert.ok(row.successes >= 3);
    assert.ok(row.failures >= 1);
    assert.ok(row.audio_seconds > 1);
    assert.ok(row.latency_p50_ms !== null && row.latency_p95_ms >= row.latency_p50_ms);
  });
});
