import assert from 'node:assert/strict';
import { rejectsWithKind, throwsNamingOption } from '../../testing/engine-assertions.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { decodeWav } from '../../../audio/wav.js';
import type { TimedText } from '../../ports/stt-engine.js';
import { STT_ENGINE_FACTORIES } from '../../stt-engine-factories.js';
import { runSttEngineContract, transcriptWords, wordErrorRate } from '../../testing/stt-engine.contract.js';
import { RemoteEngineError } from '../remote/remote-engine-error.js';
import {
  everythingAnErrorShows,
  playTransportFault,
  sendJson,
  useLocalHttpServer,
  type TransportFault,
} from '../remote/testing/local-http-server.js';
import { recogniseToneWords, toneWordsAudio } from '../remote/testing/tone-words.js';
import { parseOpenAiSttOptions } from './openai-stt-options.js';
import { OpenAiSttEngine } from './openai-stt.engine.js';
import { openAiSttEngineFactory } from './openai-stt.factory.js';

const KEY = 'sk-stt-test-Qw3rty-5566';
const RATE = 16_000;
const never = new AbortController().signal;
const WORDS = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'the', 'lazy', 'dog'];
/** Simulated recognition time per second of audio, so an abort can land mid-call. */
const PROCESSING_MS_PER_AUDIO_SECOND = 15;
/** Models that answer only json or text, as gpt-4o-transcribe does. */
const JSON_ONLY_MODELS = new Set(['gpt-4o-transcribe']);
const FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'];

/*
 * A local stand-in for OpenAI's documented POST /v1/audio/transcriptions (multipart: file,
 * model required; language ISO-639-1, prompt, temperature 0–1, response_format,
 * timestamp_granularities[] only with verbose_json) and GET /v1/models. It "recognises" the
 * tone-coded words in the uploaded WAV (tone-words.ts), so what comes back depends on the
 * audio that really arrived. Errors use OpenAI's {error:{message,type,param,code}}.
 */
type Fault = TransportFault | 'http500' | 'http429' | 'malformed_json' | 'no_text';
let fault: Fault | undefined;
let lastFields: Record<string, string[]> = {};

function openAiError(res: ServerResponse, status: number, message: string, param: string | null): void {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param, code: null } });
}

function sentence(words: readonly TimedText[]): string {
  const text = words.map((word) => word.text).join(' ');
  return text ? `${text[0].toUpperCase()}${text.slice(1)}.` : '';
}

async function transcribeUpload(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  const form = await new Request('http://localhost/', {
    method: 'POST',
    headers: { 'content-type': req.headers['content-type'] ?? '' },
    body,
  }).formData();
  lastFields = {};
  for (const [key, value] of form.entries()) {
    (lastFields[key] ??= []).push(typeof value === 'string' ? value : `<file ${value.name}>`);
  }
  const file = form.get('file');
  const model = form.get('model');
  const format = (form.get('response_format') as string | null) ?? 'json';
  const granularities = form.getAll('timestamp_granularities[]');
  const language = form.get('language');
  const temperature = form.get('temperature');
  if (!(file instanceof Blob)) return openAiError(res, 400, "Missing required parameter: 'file'.", 'file');
  if (typeof model !== 'string')
    return openAiError(res, 400, "Missing required parameter: 'model'.", 'model');
  if (!FORMATS.includes(format))
    return openAiError(res, 400, `Invalid response_format '${format}'.`, 'response_format');
  if (JSON_ONLY_MODELS.has(model) && format !== 'json' && format !== 'text') {
    return openAiError(
      res,
      400,
      `response_format '${format}' is not compatible with model '${model}'. Use 'json' or 'text' instead.`,
      'response_format',
    );
  }
  if (granularities.length > 0 && format !== 'verbose_json') {
    return openAiError(
      res,
      400,
      'timestamp_granularities requires response_format=verbose_json.',
      'timestamp_granularities',
    );
  }
  if (language !== null && !/^[a-z]{2}$/.test(language as string)) {
    return openAiError(res, 400, `Invalid language '${language as string}': use ISO-639-1.`, 'language');
  }
  if (temperature !== null && !(Number(temperature) >= 0 && Number(temperature) <= 1)) {
    return openAiError(res, 400, 'temperature must be between 0 and 1.', 'temperature');
  }
  let audio: { samples: Int16Array; sampleRate: number };
  try {
    audio = decodeWav(new Uint8Array(await file.arrayBuffer()));
  } catch {
    return openAiError(
      res,
      400,
      'Invalid file format. Supported formats: flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm',
      'file',
    );
  }
  const duration = audio.samples.length / audio.sampleRate;
  const words = recogniseToneWords(audio.samples, audio.sampleRate);
  const text = sentence(words);
  const answer: Record<string, unknown> =
    format === 'verbose_json'
      ? {
          task: 'transcribe',
          language: 'english',
          duration,
          text,
          ...(granularities.includes('word')
            ? { words: words.map(({ text: word, start, end }) => ({ word, start, end })) }
            : {}),
          ...(granularities.length === 0 || granularities.includes('segment')
            ? {
                segments: Array.from({ length: Math.ceil(words.length / 4) }, (_, id) => {
                  const part = words.slice(id * 4, id * 4 + 4);
                  return {
                    id,
                    seek: 0,
                    start: part[0].start,
                    end: part.at(-1)?.end,
                    text: ` ${sentence(part)}`,
                    tokens: [],
                    temperature: 0,
                  };
                }),
              }
            : {}),
        }
      : { text };
  const timer = setTimeout(() => sendJson(res, 200, answer), duration * PROCESSING_MS_PER_AUDIO_SECOND);
  res.on('close', () => clearTimeout(timer));
}

async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  if (fault === 'hang' || fault === 'reset' || fault === 'slow_stream')
    return playTransportFault(fault, req, res);
  if (req.headers.authorization !== `Bearer ${KEY}`) {
    // Echoes the presented key, as a careless server might.
    return openAiError(res, 401, `Incorrect API key provided: ${req.headers.authorization ?? ''}.`, null);
  }
  if (req.method === 'GET' && req.url === '/v1/models') {
    return sendJson(res, 200, { object: 'list', data: [{ id: 'whisper-1', object: 'model' }] });
  }
  if (req.method !== 'POST' || req.url !== '/v1/audio/transcriptions') {
    return openAiError(res, 404, `Unknown route ${req.method} ${req.url}`, null);
  }
  switch (fault) {
    case 'http500':
      return openAiError(res, 500, 'The server had an error.', null);
    case 'http429':
      return sendJson(
        res,
        429,
        { error: { message: 'Rate limit reached.', code: 'rate_limit_exceeded' } },
        { 'Retry-After': '2' },
      );
    case 'malformed_json':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end('{"text": "The quick');
    case 'no_text':
      return sendJson(res, 200, { transcript: 'wrong field' });
    case undefined:
      return transcribeUpload(req, res, body);
  }
}

const server = useLocalHttpServer(handle);

function makeEngine(extra: Record<string, unknown> = {}): OpenAiSttEngine {
  return new OpenAiSttEngine(
    'openai-stt-test',
    parseOpenAiSttOptions({ base_url: `${server.url}/v1`, api_key: KEY, ...extra }),
  );
}

const fixture = () => ({
  audio: { samples: toneWordsAudio(WORDS, RATE), sampleRate: RATE },
  expectedWords: WORDS,
  maxWordErrorRate: 0,
  language: 'en',
});
runSttEngineContract('openai (local whisper-1 server, verbose_json)', () => makeEngine(), fixture);
runSttEngineContract(
  'openai (local gpt-4o-transcribe server, json)',
  () => makeEngine({ model: 'gpt-4o-transcribe' }),
  fixture,
);

void describe('OpenAiSttEngine requests and faults', () => {
  const audio = { samples: toneWordsAudio(['hello', 'world'], RATE), sampleRate: RATE };
  afterEach(() => {
    fault = undefined;
  });

  void it('sends the WAV, model, hints and timestamp granularities; maps words and segments', async () => {
    const transcript = await makeEngine().transcribe(
      audio,
      { language: 'en', prompt: 'Greetings', temperature: 0.2 },
      never,
    );
    assert.deepEqual(lastFields, {
      file: ['<file audio.wav>'],
      model: ['whisper-1'],
      response_format: ['verbose_json'],
      'timestamp_granularities[]': ['word', 'segment'],
      language: ['en'],
      prompt: ['Greetings'],
      temperature: ['0.2'],
    });
    assert.equal(transcript.text, 'Hello world.');
    assert.equal(transcript.language, 'english');
    assert.deepEqual(
      transcript.words?.map((word) => word.text),
      ['hello', 'world'],
    );
    const first = transcript.words?.[0];
    assert.ok(
      first && Math.abs(first.start - 0.15) < 0.02 && Math.abs(first.end - 0.45) < 0.02,
      JSON.stringify(first),
    );
    assert.deepEqual(
      transcript.segments.map((segment) => segment.text),
      ['Hello world.'],
    );
  });

  void it('falls back to json once a server refuses verbose_json, and remembers', async () => {
    const engine = makeEngine({ model: 'gpt-4o-transcribe' });
    assert.equal(engine.capabilities().wordTimestamps, true);
    const transcript = await engine.transcribe(audio, {}, never);
    assert.equal(transcript.text, 'Hello world.');
    assert.equal(transcript.words, undefined);
    assert.deepEqual(transcript.segments, [
      { text: 'Hello world.', start: 0, end: audio.samples.length / RATE },
    ]);
    assert.equal(engine.capabilities().wordTimestamps, false);
    await engine.transcribe(audio, {}, never);
    assert.deepEqual(lastFields.response_format, ['json']);
  });

  void it('maps a language the server refuses to invalid_input', async () => {
    const error = await rejectsWithKind(
      makeEngine().transcribe(audio, { language: 'english' }, never),
      'invalid_input',
    );
    assert.match(error.message, /ISO-639-1/);
  });

  void it('maps HTTP 500 and 429 (with Retry-After) to transient', async () => {
    fault = 'http500';
    await rejectsWithKind(makeEngine().transcribe(audio, {}, never), 'transient');
    fault = 'http429';
    const error = await rejectsWithKind(makeEngine().transcribe(audio, {}, never), 'transient');
    assert.ok(error instanceof RemoteEngineError);
    assert.equal(error.retryAfterSeconds, 2);
  });

  void it('maps a malformed body or one without text to failed', async () => {
    fault = 'malformed_json';
    await rejectsWithKind(makeEngine().transcribe(audio, {}, never), 'failed');
    fault = 'no_text';
    await rejectsWithKind(makeEngine().transcribe(audio, {}, never), 'failed');
  });

  void it('times out a hanging server and a trickling answer as transient, on time', async () => {
    for (const kind of ['hang', 'slow_stream'] as const) {
      fault = kind;
      const started = performance.now();
      const error = await rejectsWithKind(
        makeEngine({ timeout_seconds: 0.4 }).transcribe(audio, {}, never),
        'transient',
      );
      const elapsed = performance.now() - started;
      assert.match(error.message, /timed out/);
      assert.ok(elapsed >= 350 && elapsed < 1200, `${kind}: took ${elapsed.toFixed(0)} ms`);
    }
  });

  void it('maps a connection reset to transient', async () => {
    fault = 'reset';
    await rejectsWithKind(makeEngine().transcribe(audio, {}, never), 'transient');
  });

  void it('maps a wrong key to unavailable without repeating it', async () => {
    const wrong = 'sk-wrong-Stt-Secret-0099';
    const engine = makeEngine({ api_key: wrong });
    const error = await rejectsWithKind(engine.transcribe(audio, {}, never), 'unavailable');
    assert.ok(!everythingAnErrorShows(error).includes(wrong));
    const health = await engine.health();
    assert.equal(health.available, false);
    assert.ok(!health.reason?.includes(wrong));
  });
});

void describe('openai stt options and contract helpers', () => {
  const base = { base_url: 'http://127.0.0.1:8000/v1' };
  const throwsNaming = (raw: Record<string, unknown>, option: string) =>
    throwsNamingOption(() => parseOpenAiSttOptions(raw, {}), option);

  void it('applies the defaults', () => {
    const options = parseOpenAiSttOptions(base);
    assert.equal(options.model, 'whisper-1');
    assert.equal(options.sampleRate, 16000);
    assert.equal(options.responseFormat, 'verbose_json');
    assert.equal(options.timeoutMs, 120_000);
    assert.deepEqual(options.languages, ['en']);
  });

  void it('names the option that is wrong', () => {
    throwsNaming({}, 'base_url');
    throwsNaming({ ...base, response_format: 'srt' }, 'response_format');
    throwsNaming({ ...base, languages: [] }, 'languages');
    throwsNaming({ ...base, sample_rate: 100 }, 'sample_rate');
    throwsNaming({ ...base, api_key_env: 'UNSET_STT_KEY' }, 'UNSET_STT_KEY');
    throwsNaming({ ...base, voices: ['x'] }, 'voices');
  });

  void it('registers as type openai, kind remote, in the list of STT adapters', () => {
    assert.ok(STT_ENGINE_FACTORIES.includes(openAiSttEngineFactory));
    assert.equal(openAiSttEngineFactory.type, 'openai');
    assert.equal(openAiSttEngineFactory.kind, 'remote');
  });

  void it('counts word errors', () => {
    assert.equal(wordErrorRate(['a', 'b', 'c', 'd'], ['a', 'x', 'c', 'd']), 0.25);
    assert.equal(wordErrorRate(['a', 'b'], []), 1);
    assert.equal(wordErrorRate(['a', 'b'], ['a', 'b']), 0);
    assert.deepEqual(transcriptWords('The quick, brown fox!'), ['the', 'quick', 'brown', 'fox']);
  });

  void it('recognises tone words only when the audio arrives at its real rate', () => {
    const samples = toneWordsAudio(['hello', 'world'], RATE);
    assert.deepEqual(
      recogniseToneWords(samples, RATE).map((word) => word.text),
      ['hello', 'world'],
    );
    assert.notDeepEqual(
      recogniseToneWords(samples, 22050).map((word) => word.text),
      ['hello', 'world'],
    );
  });
});
