import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { pcmBytes } from '../../../audio/pcm.js';
import { encodeWav } from '../../../audio/wav.js';
import { clipDurationSeconds } from '../../ports/audio-clip.js';
import { type EngineContext, EngineOptionsError } from '../../ports/engine-factory.js';
import { rejectsWithKind } from '../../testing/engine-assertions.js';
import { runTtsEngineContract } from '../../testing/tts-engine.contract.js';
import { parseOpenAiOptions } from './openai-options.js';
import { OpenAiTtsEngine } from './openai-tts.engine.js';
import { openAiTtsEngineFactory } from './openai.factory.js';
import { RemoteEngineError } from '../remote/remote-engine-error.js';
import { TEST_ENGINE_CONTEXT } from '../../testing/test-engine-context.js';

const context: EngineContext = TEST_ENGINE_CONTEXT;
const never = new AbortController().signal;
const KEY = 'sk-test-Zq8v3L0cal0nly-4f1e';
const VOICES = ['alloy', 'nova', 'onyx'];
const RATE = 24_000;
/** Seconds of audio per input character at speed 1 (within the contract's 0.03–0.5 s). */
const SECONDS_PER_CHAR = 0.06;
/** Simulated synthesis time per character, so an abort can land mid-synthesis. */
const PROCESSING_MS_PER_CHAR = 0.1;

/*
 * A local stand-in for OpenAI's documented POST /v1/audio/speech and GET /v1/models: JSON
 * body with model, input and voice required; a WAV sine tone 60 ms per character (shorter
 * at higher speed); OpenAI's {error:{message,type,param,code}} on errors; Bearer key checked.
 * `mode` injects faults for the adapter-specific tests.
 */
type Mode = 'normal' | 'error500' | 'rate_limited' | 'hang' | 'reset' | 'json_body' | 'raw_pcm' | 'echo_key';
let mode: Mode = 'normal';

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  param: string | null,
  code: string | null,
): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param, code } }));
}

function tone(seconds: number): Int16Array {
  const samples = new Int16Array(Math.max(1, Math.round(seconds * RATE)));
  for (let i = 0; i < samples.length; i++)
    samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / RATE));
  return samples;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  if (mode === 'hang') return; // never answers
  if (mode === 'reset') {
    req.socket.destroy();
    return;
  }
  if (req.headers.authorization !== `Bearer ${KEY}`) {
    const presented = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    // Echo the presented key in full, as a careless server might: the adapter must not repeat it.
    return sendError(res, 401, `Incorrect API key provided: ${presented}.`, null, 'invalid_api_key');
  }
  if (req.method === 'GET' && req.url === '/v1/models') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'tts-1', object: 'model', owned_by: 'fake' }] }));
    return;
  }
  if (req.method !== 'POST' || req.url !== '/v1/audio/speech') {
    return sendError(res, 404, `Unknown route ${req.method} ${req.url}`, null, 'not_found');
  }
  if (mode === 'error500') return sendError(res, 500, 'The server had an error.', null, null);
  if (mode === 'rate_limited') {
    res.setHeader('Retry-After', '3');
    return sendError(res, 429, 'Rate limit reached.', null, 'rate_limit_exceeded');
  }
  if (mode === 'json_body') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ ok: true, note: 'not audio' }));
    return;
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return sendError(res, 400, 'We could not parse the JSON body of your request.', null, null);
  }
  for (const field of ['model', 'input', 'voice']) {
    if (typeof json[field] !== 'string')
      return sendError(res, 400, `Missing required parameter: '${field}'.`, field, null);
  }
  const input = json.input as string;
  const voice = json.voice as string;
  const speed = json.speed ?? 1;
  if (input.trim() === '') return sendError(res, 400, 'Input must not be empty.', 'input', null);
  if (typeof speed !== 'number' || speed < 0.25 || speed > 4) {
    return sendError(res, 400, 'speed must be between 0.25 and 4.', 'speed', null);
  }
  if (!VOICES.includes(voice))
    return sendError(res, 404, `Voice '${voice}' not found.`, 'voice', 'voice_not_found');

  const timer = setTimeout(() => {
    const samples = tone((input.length * SECONDS_PER_CHAR) / speed);
    if (mode === 'raw_pcm') {
      res.writeHead(200, { 'Content-Type': 'audio/pcm' });
      res.end(pcmBytes(samples));
    } else {
      res.writeHead(200, { 'Content-Type': 'audio/wav' });
      res.end(encodeWav(samples, RATE));
    }
  }, input.length * PROCESSING_MS_PER_CHAR);
  res.on('close', () => clearTimeout(timer));
}

const server: Server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  });
});
const listening = new Promise<string>((resolve) => {
  server.listen(0, '127.0.0.1', () =>
    resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`),
  );
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function makeEngine(extra: Record<string, unknown> = {}): Promise<OpenAiTtsEngine> {
  const options = parseOpenAiOptions({ base_url: await listening, api_key: KEY, voices: VOICES, ...extra });
  return new OpenAiTtsEngine('openai-test', options, context.logger);
}

runTtsEngineContract('openai (local fake server)', () => makeEngine());

void describe('OpenAiTtsEngine against injected faults', () => {
  const request = { text: 'Hello there.', voiceId: 'alloy' };

  afterEach(() => {
    mode = 'normal';
  });

  void it('sends model, voice and speed, and decodes the WAV at 24 kHz', async () => {
    const engine = await makeEngine();
    const clip = await engine.synthesize({ ...request, speed: 2 }, never);
    assert.equal(clip.sampleRate, RATE);
    const expected = (request.text.length * SECONDS_PER_CHAR) / 2;
    assert.ok(Math.abs(clipDurationSeconds(clip) - expected) < 0.001);
  });

  void it('maps HTTP 500 to transient', async () => {
    mode = 'error500';
    const error = await rejectsWithKind((await makeEngine()).synthesize(request, never), 'transient');
    assert.match(error.message, /HTTP 500/);
  });

  void it('maps HTTP 429 to transient and keeps Retry-After', async () => {
    mode = 'rate_limited';
    const error = await rejectsWithKind((await makeEngine()).synthesize(request, never), 'transient');
    assert.ok(error instanceof RemoteEngineError);
    assert.equal(error.retryAfterSeconds, 3);
    assert.equal(error.retryable, true);
  });

  void it('times out a hanging server as transient, on time', async () => {
    mode = 'hang';
    const engine = await makeEngine({ timeout_seconds: 0.3 });
    const started = performance.now();
    const error = await rejectsWithKind(engine.synthesize(request, never), 'transient');
    const elapsed = performance.now() - started;
    assert.match(error.message, /timed out/);
    assert.ok(elapsed >= 250 && elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
  });

  void it('stops promptly when the caller aborts while the server hangs', async () => {
    mode = 'hang';
    const engine = await makeEngine();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await rejectsWithKind(engine.synthesize(request, controller.signal), 'aborted');
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 500, `took ${elapsed.toFixed(0)} ms`);
  });

  void it('maps a connection reset to transient', async () => {
    mode = 'reset';
    await rejectsWithKind((await makeEngine()).synthesize(request, never), 'transient');
  });

  void it('maps a 200 answer that is not audio to failed', async () => {
    mode = 'json_body';
    const error = await rejectsWithKind((await makeEngine()).synthesize(request, never), 'failed');
    assert.match(error.message, /application\/json/);
  });

  void it('reads a raw audio/pcm answer as s16le at sample_rate', async () => {
    mode = 'raw_pcm';
    const clip = await (await makeEngine()).synthesize(request, never);
    assert.equal(clip.sampleRate, RATE);
    assert.ok(Math.abs(clipDurationSeconds(clip) - request.text.length * SECONDS_PER_CHAR) < 0.001);
  });

  void it('maps a wrong key to unavailable without repeating the key', async () => {
    const wrong = 'sk-wrong-Secret-9d8c7b';
    const engine = await makeEngine({ api_key: wrong });
    const error = await rejectsWithKind(engine.synthesize(request, never), 'unavailable');
    assert.match(error.message, /401/);
    assert.ok(!error.message.includes(wrong), error.message);
    assert.ok(!error.message.includes(KEY), error.message);
    const health = await engine.health();
    assert.equal(health.available, false);
    assert.ok(!health.reason?.includes(wrong));
  });

  void it('maps 400 (a speed out of range) to invalid_input', async () => {
    const engine = await makeEngine();
    const error = await rejectsWithKind(engine.synthesize({ ...request, speed: 9 }, never), 'invalid_input');
    assert.match(error.message, /speed/);
  });

  void it('maps 404 voice_not_found to voice_not_found', async () => {
    await rejectsWithKind(
      (await makeEngine()).synthesize({ ...request, voiceId: 'nobody' }, never),
      'voice_not_found',
    );
  });

  void it('maps a 404 that is not about a voice (wrong base_url) to unavailable', async () => {
    const base = await listening;
    const engine = new OpenAiTtsEngine(
      'openai-test',
      parseOpenAiOptions({ base_url: base.replace(/\/v1$/, '/v2'), api_key: KEY }),
      context.logger,
    );
    await rejectsWithKind(engine.synthesize(request, never), 'unavailable');
  });

  void it('is unavailable, with a reason, when the server is gone', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const engine = new OpenAiTtsEngine(
      'openai-test',
      parseOpenAiOptions({ base_url: `http://127.0.0.1:${port}/v1`, api_key: KEY }),
      context.logger,
    );
    const health = await engine.health();
    assert.equal(health.available, false);
    assert.match(health.reason ?? '', /ECONNREFUSED/);
    assert.ok(!health.reason?.includes(KEY));
    await rejectsWithKind(engine.synthesize(request, never), 'transient');
  });

  void it('caches health for a while', async () => {
    const engine = await makeEngine();
    assert.equal((await engine.health()).available, true);
    mode = 'hang';
    // A fresh probe would hang for 5 s; the cached answer comes back at once.
    assert.equal((await engine.health()).available, true);
  });
});

void describe('openai options', () => {
  const base = { base_url: 'http://127.0.0.1:8004/v1' };
  const throwsNaming = (raw: Record<string, unknown>, option: string, env = {}) =>
    assert.throws(
      () => parseOpenAiOptions(raw, env),
      (error: unknown) => error instanceof EngineOptionsError && error.message.includes(option),
    );

  void it('applies the defaults', () => {
    const options = parseOpenAiOptions({ base_url: 'https://api.openai.com/v1/' });
    assert.equal(options.baseUrl, 'https://api.openai.com/v1');
    assert.equal(options.model, 'tts-1');
    assert.equal(options.language, 'en');
    assert.equal(options.timeoutMs, 30_000);
    assert.equal(options.sampleRate, 24_000);
    assert.equal(options.voices.length, 11);
    assert.equal(options.apiKey, undefined);
    assert.equal(options.finalAudio, false);
  });

  void it('reports final audio only when final_audio says so', () => {
    assert.equal(parseOpenAiOptions({ ...base, final_audio: true }).finalAudio, true);
    const engine = openAiTtsEngineFactory.create(
      { id: 'peer', options: { ...base, final_audio: true } },
      context,
    );
    assert.equal(engine.capabilities().finalAudio, true);
    const plain = openAiTtsEngineFactory.create({ id: 'cloud', options: base }, context);
    assert.equal(plain.capabilities().finalAudio, false);
  });

  void it('reads the key from the named environment variable', () => {
    const options = parseOpenAiOptions({ ...base, api_key_env: 'MY_TTS_KEY' }, { MY_TTS_KEY: ' k-1 ' });
    assert.equal(options.apiKey, 'k-1');
    throwsNaming({ ...base, api_key_env: 'MY_TTS_KEY' }, 'MY_TTS_KEY');
  });

  void it('names the option that is wrong', () => {
    throwsNaming({}, 'base_url');
    throwsNaming({ base_url: 'ftp://host/v1' }, 'base_url');
    throwsNaming({ base_url: 'not a url' }, 'base_url');
    throwsNaming({ base_url: 'http://user:pw@host/v1' }, 'base_url');
    throwsNaming({ ...base, voice: 'alloy' }, 'options.voice ');
    throwsNaming({ ...base, voices: [] }, 'voices');
    throwsNaming({ ...base, voices: ['a', 'a'] }, 'voices');
    throwsNaming({ ...base, timeout_seconds: 0 }, 'timeout_seconds');
    throwsNaming({ ...base, sample_rate: 22050.5 }, 'sample_rate');
    throwsNaming({ ...base, model: '' }, 'model');
    throwsNaming({ ...base, final_audio: 'yes' }, 'final_audio');
    throwsNaming({ ...base, api_key_env: 'not a name' }, 'api_key_env');
    throwsNaming({ ...base, api_key: 'x', api_key_env: 'X' }, 'api_key_env');
  });

  void it('registers as type openai, kind remote', () => {
    assert.equal(openAiTtsEngineFactory.type, 'openai');
    assert.equal(openAiTtsEngineFactory.kind, 'remote');
    const engine = openAiTtsEngineFactory.create({ id: 'cloud', options: base }, context);
    assert.equal(engine.type, 'openai');
    assert.throws(() => openAiTtsEngineFactory.create({ id: 'x', options: {} }, context), EngineOptionsError);
  });
});
