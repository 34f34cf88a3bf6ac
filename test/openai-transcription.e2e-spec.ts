import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { cliTranscript, POCKETSPHINX_TEST_CONFIG, SHORT_CLIP } from './support/speech-fixtures.js';
import { startTestGateway, type TestGateway } from './support/test-gateway.js';

describe('the official openai SDK against /v1/audio/transcriptions', () => {
  let t: TestGateway;
  let client: OpenAI;
  let fixtures: string;
  let expected: string;

  before(async () => {
    t = await startTestGateway({ config: POCKETSPHINX_TEST_CONFIG });
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'not-checked-yet', maxRetries: 0 });
    fixtures = await mkdtemp(join(tmpdir(), 'sg-openai-stt-'));
    expected = await cliTranscript(SHORT_CLIP, fixtures);
  });
  after(async () => {
    await t.close();
    await rm(fixtures, { recursive: true, force: true });
  });

  it('transcribes a file stream with whisper-1 as the model', async () => {
    const transcription = await client.audio.transcriptions.create({
      file: createReadStream(SHORT_CLIP),
      model: 'whisper-1',
    });
    assert.equal(transcription.text, expected);
  });

  it('answers verbose_json with segments and words', async () => {
    const transcription = await client.audio.transcriptions.create({
      file: await toFile(await readFile(SHORT_CLIP), 'clip.wav'),
      model: 'whisper-1',
      language: 'en',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    assert.equal(transcription.text, expected);
    assert.equal(transcription.language, 'english');
    assert.ok(Math.abs(transcription.duration - 2.99) < 0.1);
    assert.ok((transcription.segments?.length ?? 0) >= 1);
    assert.equal(transcription.segments?.[0]?.text, expected);
    const words = transcription.words ?? [];
    assert.equal(words.map((w) => w.word).join(' '), expected);
    assert.ok(words.every((w) => w.end > w.start));
  });

  it('answers text, srt and vtt as strings', async () => {
    const file = async () => toFile(await readFile(SHORT_CLIP), 'clip.wav');
    const text = await client.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      response_format: 'text',
    });
    assert.equal(String(text).trim(), expected);
    const srt = await client.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      response_format: 'srt',
    });
    assert.match(String(srt), /^1\n00:00:00,\d{3} --> 00:00:0\d,\d{3}\n/);
    const vtt = await client.audio.transcriptions.create({
      file: await file(),
      model: 'whisper-1',
      response_format: 'vtt',
    });
    assert.match(String(vtt), /^WEBVTT\n\n00:00:00\.\d{3} --> /);
  });

  it('reports errors in OpenAI’s shape, which the SDK understands', async () => {
    await assert.rejects(
      client.audio.transcriptions.create({
        file: await toFile(Buffer.from('not audio at all'), 'x.wav'),
        model: 'whisper-1',
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 415);
        assert.equal(error.code, 'unsupported_media_type');
        return true;
      },
    );
    await assert.rejects(
      client.audio.transcriptions.create({
        file: await toFile(await readFile(SHORT_CLIP), 'x.wav'),
        model: 'no-such-engine',
      }),
      (error: unknown) =>
        error instanceof OpenAI.APIError && error.status === 400 && error.code === 'validation_failed',
    );
  });
});
