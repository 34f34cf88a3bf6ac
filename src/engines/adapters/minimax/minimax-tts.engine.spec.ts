import assert from 'node:assert/strict';
import { rejectsWithKind, throwsNamingOption } from '../../testing/engine-assertions.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { pcmBytes } from '../../../audio/pcm.js';
import { encodeWav } from '../../../audio/wav.js';
import { clipDurationSeconds } from '../../ports/audio-clip.js';
import { type EngineContext, EngineOptionsError } from '../../ports/engine-factory.js';
import { RemoteEngineError } from '../remote/remote-engine-error.js';
import {
  closedPortUrl,
  everythingAnErrorShows,
  playTransportFault,
  sendJson,
  sineTone,
  useLocalHttpServer,
  type TransportFault,
} from '../remote/testing/local-http-server.js';
import { runTtsEngineContract } from '../../testing/tts-engine.contract.js';
import { parseMiniMaxOptions } from './minimax-options.js';
import { minimaxStatusKind } from './minimax-status.js';
import { MiniMaxTtsEngine, pitchToSemitones } from './minimax-tts.engine.js';
import { miniMaxTtsEngineFactory } from './minimax.factory.js';
import { TEST_ENGINE_CONTEXT } from '../../testing/test-engine-context.js';

const KEY = 'mm-test-K3y-9f8e7d6c5b4a';
const never = new AbortController().signal;
const context: EngineContext = TEST_ENGINE_CONTEXT;
/** Seconds of audio per character at speed 1, and simulated synthesis time per character. */
const SECONDS_PER_CHAR = 0.06;
const PROCESSING_MS_PER_CHAR = 0.1;
/** Voices as the OdeaDev migration data writes them. */
const VOICES = [
  {
    minimax_voice_id: 'English_expressive_narrator',
    friendly_name: 'Narrator',
    language: 'en',
    gender: 'male',
  },
  { minimax_voice_id: 'Wise_Woman', friendly_name: 'Wise Woman', language: 'en', gender: 'female' },
];
const SERVER_VOICES = new Set(['English_expressive_narrator', 'Wise_Woman']);
const SAMPLE_RATES = [8000, 16000, 22050, 24000, 32000, 44100];
const EMOTIONS = [
  'happy',
  'sad',
  'angry',
  'fearful',
  'disgusted',
  'surprised',
  'calm',
  'neutral',
  'fluent',
  'whisper',
];

/*
 * A local stand-in for MiniMax's documented T2A v2 (POST /v1/t2a_v2) and voice list (POST
 * /v1/get_voice): Bearer key checked, JSON body validated as the docs state (model, text,
 * voice_setting.voice_id/speed [0.5,2]/vol (0,10]/integer pitch [-12,12]/emotion,
 * audio_setting.sample_rate/format/channel; wav only when not streaming), HTTP 200 with
 * base_resp for outcomes, audio as hex in data.audio, extra_info with audio_length (ms) and
 * audio_sample_rate. The tone's length follows text and speed, its frequency pitch, its
 * loudness vol. `fault` injects the failures.
 */
type Fault =
  | TransportFault
  | 'http500'
  | 'http429'
  | 'status_rate_limit'
  | 'status_balance'
  | 'status_sensitive'
  | 'status_unknown_code'
  | 'malformed_json'
  | 'bad_hex'
  | 'no_base_resp'
  | 'not_wav';
let fault: Fault | undefined;
let lastBody: Record<string, unknown> | undefined;

function baseResp(res: ServerResponse, statusCode: number, statusMsg: string): void {
  sendJson(res, 200, { base_resp: { status_code: statusCode, status_msg: statusMsg } });
}

function synthesizeAnswer(res: ServerResponse, json: Record<string, unknown>): void {
  const voice = (json.voice_setting ?? {}) as Record<string, unknown>;
  const audio = (json.audio_setting ?? {}) as Record<string, unknown>;
  const text = json.text;
  if (typeof json.model !== 'string' || typeof text !== 'string' || text.trim() === '') {
    return baseResp(res, 2013, 'invalid params, text or model missing');
  }
  const speed = voice.speed ?? 1;
  const vol = voice.vol ?? 1;
  const pitch = voice.pitch ?? 0;
  if (typeof voice.voice_id !== 'string' || !SERVER_VOICES.has(voice.voice_id)) {
    return baseResp(res, 20132, 'invalid samples or voice_id');
  }
  if (typeof speed !== 'number' || speed < 0.5 || speed > 2)
    return baseResp(res, 2013, 'invalid params, speed');
  if (typeof vol !== 'number' || vol <= 0 || vol > 10) return baseResp(res, 2013, 'invalid params, vol');
  if (!Number.isInteger(pitch) || Math.abs(pitch as number) > 12)
    return baseResp(res, 2013, 'invalid params, pitch');
  if (voice.emotion !== undefined && !EMOTIONS.includes(voice.emotion as string)) {
    return baseResp(res, 2013, 'invalid params, emotion');
  }
  const rate = (audio.sample_rate ?? 32000) as number;
  const format = audio.format ?? 'mp3';
  if (!SAMPLE_RATES.includes(rate)) return baseResp(res, 2013, 'invalid params, sample_rate');
  if (!['mp3', 'pcm', 'flac', 'wav'].includes(format as string))
    return baseResp(res, 2013, 'invalid params, format');
  if (format === 'wav' && json.stream === true)
    return baseResp(res, 2013, 'invalid params, wav needs stream false');
  if (format !== 'wav' && format !== 'pcm')
    return baseResp(res, 2013, 'this stand-in only makes wav and pcm');

  const samples = sineTone(
    (text.length * SECONDS_PER_CHAR) / speed,
    rate,
    440 * 2 ** ((pitch as number) / 12),
    4000 * vol,
  );
  const bytes = format === 'wav' ? encodeWav(samples, rate) : pcmBytes(samples);
  const timer = setTimeout(() => {
    let hex = bytes.toString('hex');
    if (fault === 'bad_hex') hex = `${hex.slice(0, 100)}zz${hex.slice(102)}`;
    if (fault === 'not_wav') hex = Buffer.from('ID3 pretend mp3 frames').toString('hex');
    sendJson(res, 200, {
      data: { audio: hex, status: 2 },
      extra_info: {
        audio_length: Math.round((samples.length / rate) * 1000),
        audio_sample_rate: rate,
        audio_size: bytes.byteLength,
        bitrate: 128000,
        word_count: text.split(/\s+/).length,
        usage_characters: text.length,
        audio_format: format,
        audio_channel: 1,
      },
      trace_id: 'trace-local',
      base_resp: { status_code: 0, status_msg: 'success' },
    });
  }, text.length * PROCESSING_MS_PER_CHAR);
  res.on('close', () => clearTimeout(timer));
}

function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  if (fault === 'hang' || fault === 'reset' || fault === 'slow_stream') {
    return playTransportFault(
      fault,
      req,
      res,
      'application/json',
      Buffer.from(JSON.stringify({ base_resp: {} })),
    );
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.headers.authorization !== `Bearer ${KEY}`) {
    // MiniMax answers a bad key with HTTP 200 and base_resp 1004; this one also echoes it.
    return baseResp(res, 1004, `login fail: token ${req.headers.authorization ?? ''} does not match group`);
  }
  if (req.method === 'POST' && url.pathname === '/v1/get_voice') {
    return sendJson(res, 200, {
      system_voice: [...SERVER_VOICES].map((voice_id) => ({
        voice_id,
        voice_name: voice_id,
        description: [],
      })),
      base_resp: { status_code: 0, status_msg: 'success' },
    });
  }
  if (req.method !== 'POST' || url.pathname !== '/v1/t2a_v2')
    return sendJson(res, 404, { detail: 'Not Found' });
  switch (fault) {
    case 'http500':
      return sendJson(res, 500, { base_resp: { status_code: 1000, status_msg: 'unknown error' } });
    case 'http429':
      return sendJson(res, 429, { error: 'too many requests' }, { 'Retry-After': '4' });
    case 'status_rate_limit':
      return baseResp(res, 1002, 'rate limit');
    case 'status_balance':
      return baseResp(res, 1008, 'insufficient balance');
    case 'status_sensitive':
      return baseResp(res, 1026, 'input new_sensitive');
    case 'status_unknown_code':
      return baseResp(res, 3999, 'something new');
    case 'no_base_resp':
      return sendJson(res, 200, { data: { audio: '00' } });
    case 'malformed_json':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end('{"data": {"audio": "52494646');
    case 'bad_hex':
    case 'not_wav':
    case undefined:
      break; // answered (and spoiled) by synthesizeAnswer
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return baseResp(res, 2013, 'invalid params, body is not JSON');
  }
  lastBody = json;
  synthesizeAnswer(res, json);
}

const server = useLocalHttpServer(handle);

function makeEngine(extra: Record<string, unknown> = {}): MiniMaxTtsEngine {
  const options = parseMiniMaxOptions(
    { base_url: server.url, api_key_env: 'MINIMAX_TEST_KEY', voices: VOICES, ...extra },
    { MINIMAX_TEST_KEY: KEY, MINIMAX_WRONG_KEY: 'mm-wrong-Secret-1a2b3c' },
  );
  return new MiniMaxTtsEngine('minimax-test', options);
}

runTtsEngineContract('minimax (local T2A v2 server, wav)', () => makeEngine());
runTtsEngineContract('minimax (local T2A v2 server, pcm at 24 kHz)', () =>
  makeEngine({ audio_format: 'pcm', sample_rate: 24000 }),
);

void describe('MiniMaxTtsEngine requests and faults', () => {
  const request = { text: 'Hello there.', voiceId: 'Wise_Woman' };
  afterEach(() => {
    fault = undefined;
  });

  void it('sends the documented body and decodes the hex WAV', async () => {
    const engine = makeEngine({ model: 'speech-2.6-hd', vol: 2, group_id: 'group-7' });
    const clip = await engine.synthesize({ ...request, speed: 2, pitch: 2, emotion: 'Happy' }, never);
    assert.deepEqual(lastBody, {
      model: 'speech-2.6-hd',
      text: request.text,
      stream: false,
      output_format: 'hex',
      voice_setting: { voice_id: 'Wise_Woman', speed: 2, vol: 2, pitch: 12, emotion: 'happy' },
      audio_setting: { sample_rate: 32000, format: 'wav', channel: 1 },
    });
    assert.equal(clip.sampleRate, 32000);
    assert.ok(Math.abs(clipDurationSeconds(clip) - (request.text.length * SECONDS_PER_CHAR) / 2) < 0.001);
  });

  void it('converts pitch factors to semitones', () => {
    assert.equal(pitchToSemitones(1), 0);
    assert.equal(pitchToSemitones(0.5), -12);
    assert.equal(pitchToSemitones(2 ** (3 / 12)), 3);
  });

  void it('rejects out-of-range speed and unknown emotions before calling', async () => {
    const engine = makeEngine();
    await rejectsWithKind(engine.synthesize({ ...request, speed: 3 }, never), 'invalid_input');
    await rejectsWithKind(engine.synthesize({ ...request, emotion: 'smug' }, never), 'invalid_input');
  });

  void it('maps base_resp 1002 (rate limit) and HTTP 500 / 429 to transient', async () => {
    fault = 'status_rate_limit';
    const limited = await rejectsWithKind(makeEngine().synthesize(request, never), 'transient');
    assert.match(limited.message, /status_code 1002: rate limit/);
    fault = 'http500';
    const failed = await rejectsWithKind(makeEngine().synthesize(request, never), 'transient');
    assert.match(failed.message, /status_code 1000/);
    fault = 'http429';
    const throttled = await rejectsWithKind(makeEngine().synthesize(request, never), 'transient');
    assert.ok(throttled instanceof RemoteEngineError);
    assert.equal(throttled.retryAfterSeconds, 4);
  });

  void it('maps account and content status codes to unavailable and invalid_input', async () => {
    fault = 'status_balance';
    await rejectsWithKind(makeEngine().synthesize(request, never), 'unavailable');
    fault = 'status_sensitive';
    await rejectsWithKind(makeEngine().synthesize(request, never), 'invalid_input');
    fault = 'status_unknown_code';
    await rejectsWithKind(makeEngine().synthesize(request, never), 'failed');
  });

  void it('maps a voice the server does not know (20132) to voice_not_found', async () => {
    const engine = makeEngine({ voices: [...VOICES, { id: 'Retired_Voice' }] });
    await rejectsWithKind(
      engine.synthesize({ ...request, voiceId: 'Retired_Voice' }, never),
      'voice_not_found',
    );
  });

  void it('maps a malformed body, bad hex, no base_resp and non-WAV audio to failed', async () => {
    for (const kind of ['malformed_json', 'bad_hex', 'no_base_resp', 'not_wav'] as const) {
      fault = kind;
      await rejectsWithKind(makeEngine().synthesize(request, never), 'failed');
    }
  });

  void it('times out a hanging server as transient, on time, and closes the request', async () => {
    fault = 'hang';
    const cutBefore = server.cutOff;
    const started = performance.now();
    const error = await rejectsWithKind(
      makeEngine({ timeout_seconds: 0.3 }).synthesize(request, never),
      'transient',
    );
    const elapsed = performance.now() - started;
    assert.match(error.message, /timed out/);
    assert.ok(elapsed >= 250 && elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(server.cutOff > cutBefore, 'the server saw the request closed');
  });

  void it('times out an answer that trickles in', async () => {
    fault = 'slow_stream';
    const error = await rejectsWithKind(
      makeEngine({ timeout_seconds: 0.5 }).synthesize(request, never),
      'transient',
    );
    assert.match(error.message, /timed out/);
  });

  void it('maps a connection reset and a server that is gone to transient', async () => {
    fault = 'reset';
    await rejectsWithKind(makeEngine().synthesize(request, never), 'transient');
    fault = undefined;
    const gone = makeEngine({ base_url: await closedPortUrl() });
    await rejectsWithKind(gone.synthesize(request, never), 'transient');
    const health = await gone.health();
    assert.equal(health.available, false);
    assert.match(health.reason ?? '', /ECONNREFUSED/);
  });

  void it('maps a refused key (1004) to unavailable without echoing any key', async () => {
    const options = parseMiniMaxOptions(
      { base_url: server.url, api_key_env: 'MINIMAX_WRONG_KEY', voices: VOICES },
      { MINIMAX_WRONG_KEY: 'mm-wrong-Secret-1a2b3c' },
    );
    const engine = new MiniMaxTtsEngine('minimax-test', options);
    const error = await rejectsWithKind(engine.synthesize(request, never), 'unavailable');
    assert.match(error.message, /1004.*MINIMAX_WRONG_KEY/);
    assert.ok(!everythingAnErrorShows(error).includes('mm-wrong-Secret-1a2b3c'), error.message);
    const health = await engine.health();
    assert.equal(health.available, false);
    assert.ok(!health.reason?.includes('mm-wrong-Secret-1a2b3c'));
  });

  void it('is healthy through the voice list, and caches the answer', async () => {
    const engine = makeEngine();
    assert.deepEqual(await engine.health(), { available: true });
    fault = 'hang';
    assert.deepEqual(await engine.health(), { available: true });
  });
});

void describe('minimax options and status codes', () => {
  const env = { K: 'secret-value' };
  const base = { api_key_env: 'K', voices: ['Wise_Woman'] };
  const throwsNaming = (raw: Record<string, unknown>, option: string) =>
    throwsNamingOption(() => parseMiniMaxOptions(raw, env), option);

  void it('applies the defaults and reads voices in both spellings', () => {
    const options = parseMiniMaxOptions({ ...base, voices: [...VOICES, 'Calm_Woman'] }, env);
    assert.equal(options.baseUrl, 'https://api.minimax.io');
    assert.equal(options.apiKey, 'secret-value');
    assert.equal(options.model, 'speech-02-turbo');
    assert.equal(options.sampleRate, 32000);
    assert.equal(options.audioFormat, 'wav');
    assert.equal(options.volume, 1);
    assert.deepEqual(options.voices, [
      { id: 'English_expressive_narrator', name: 'Narrator', language: 'en', gender: 'male' },
      { id: 'Wise_Woman', name: 'Wise Woman', language: 'en', gender: 'female' },
      { id: 'Calm_Woman', name: 'Calm_Woman', language: 'en', gender: 'unknown' },
    ]);
  });

  void it('names the option that is wrong', () => {
    throwsNaming({ voices: ['a'] }, 'api_key_env');
    throwsNaming({ ...base, api_key_env: 'UNSET_VARIABLE' }, 'UNSET_VARIABLE');
    throwsNaming({ api_key_env: 'K' }, 'voices');
    throwsNaming({ ...base, voices: [{ name: 'x' }] }, 'voices[0].id');
    throwsNaming({ ...base, voices: [{ id: 'a', gender: 'robot' }] }, 'voices[0].gender');
    throwsNaming({ ...base, voices: [{ id: 'a', accent: 'x' }] }, 'voices[0].accent');
    throwsNaming({ ...base, voices: ['a', { id: 'a' }] }, 'voices');
    throwsNaming({ ...base, sample_rate: 48000 }, 'sample_rate');
    throwsNaming({ ...base, audio_format: 'mp3' }, 'audio_format');
    throwsNaming({ ...base, vol: 0 }, 'vol');
    throwsNaming({ ...base, voice_id: 'x' }, 'voice_id');
    throwsNaming({ ...base, base_url: 'ftp://x' }, 'base_url');
  });

  void it('maps base_resp codes as MiniMax documents them', () => {
    for (const code of [1000, 1001, 1002, 1013, 1024, 1033, 1039, 1041, 2045])
      assert.equal(minimaxStatusKind(code), 'transient');
    for (const code of [1004, 1008, 2049, 2056]) assert.equal(minimaxStatusKind(code), 'unavailable');
    for (const code of [1026, 1027, 1042, 2013]) assert.equal(minimaxStatusKind(code), 'invalid_input');
    for (const code of [20132, 2042]) assert.equal(minimaxStatusKind(code), 'voice_not_found');
    assert.equal(minimaxStatusKind(4242), 'failed');
  });

  void it('registers as type minimax, kind remote, in the list of TTS adapters', async () => {
    const { TTS_ENGINE_FACTORIES } = await import('../../tts-engine-factories.js');
    assert.ok(TTS_ENGINE_FACTORIES.includes(miniMaxTtsEngineFactory));
    assert.equal(miniMaxTtsEngineFactory.type, 'minimax');
    assert.equal(miniMaxTtsEngineFactory.kind, 'remote');
    assert.throws(
      () => miniMaxTtsEngineFactory.create({ id: 'x', options: { voices: ['a'] } }, context),
      EngineOptionsError,
    );
  });
});
