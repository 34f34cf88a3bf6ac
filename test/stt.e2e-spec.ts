import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { encodeWav } from '../src/audio/wav.js';
import { AnalyticsService } from '../src/observability/analytics.service.js';
import { descendantPids } from '../src/audio/testing/processes.js';
import {
  cliTranscript,
  decodeLikeTheGateway,
  encodeFixture,
  GO_FORWARD_GRAMMAR,
  GO_FORWARD_RAW,
  POCKETSPHINX_TEST_CONFIG,
  SECOND_CLIP,
  SHORT_CLIP,
} from './support/speech-fixtures.js';
import {
  deepMerge,
  requestJson,
  startTestGateway,
  type TestGateway,
  waitFor,
} from './support/test-gateway.js';

interface SttBody {
  status: string;
  message: string;
  data: Record<string, unknown> & {
    text?: string;
    segments?: Array<{ id: number; start: number; end: number; text: string }>;
    words?: Array<{ text: string; start: number; end: number }>;
    engines?: Array<Record<string, unknown>>;
  };
  metadata: { error_code: string | null };
}

function form(
  bytes: Buffer,
  fields: Record<string, string> = {},
  filename = 'audio.bin',
  type = 'application/octet-stream',
): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  body.append('file', new Blob([bytes], { type }), filename);
  return body;
}

async function postForm(t: TestGateway, bytes: Buffer, fields: Record<string, string> = {}, path = '/stt') {
  return requestJson<SttBody>(`${t.url}${path}`, { method: 'POST', body: form(bytes, fields) });
}

/** "00:00:01,200" / "00:00:01.200" → seconds. */
function cueSeconds(stamp: string): number {
  const [h, m, s] = stamp.replace(',', '.').split(':');
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

function cueTimes(document: string): Array<[number, number]> {
  return [...document.matchAll(/(\d\d:\d\d:\d\d[.,]\d{3}) --> (\d\d:\d\d:\d\d[.,]\d{3})/g)].map((m) => [
    cueSeconds(m[1]),
    cueSeconds(m[2]),
  ]);
}

function assertMonotonic(times: Array<[number, number]>): void {
  assert.ok(times.length > 0, 'no cues');
  let previous = 0;
  for (const [start, end] of times) {
    assert.ok(start >= previous && end > start, `cue ${start} → ${end} after ${previous}`);
    previous = end;
  }
}

describe('POST /stt with pocketsphinx', () => {
  let t: TestGateway;
  let fixtures: string;
  let twoUtterances: Buffer;

  before(async () => {
    t = await startTestGateway({ config: POCKETSPHINX_TEST_CONFIG });
    fixtures = await mkdtemp(join(tmpdir(), 'sg-stt-fixtures-'));
    // Two recordings with 1.5 s of silence between them: pocketsphinx finds two utterances.
    const first = await decodeLikeTheGateway(SHORT_CLIP, 'wav');
    const second = await decodeLikeTheGateway(SECOND_CLIP, 'wav');
    const pcm = Buffer.concat([first, Buffer.alloc(16000 * 2 * 1.5), second]);
    twoUtterances = encodeWav(new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2), 16000);
  });
  after(async () => {
    await t.close();
    await rm(fixtures, { recursive: true, force: true });
  });
  afterEach(async () => {
    // Every upload is removed however its request ended.
    await waitFor(async () => (await readdir(join(t.dir, 'tmp'))).length === 0, 'temp folder empty', 5000);
  });

  it('transcribes a WAV recording exactly as the pocketsphinx CLI does', async () => {
    const expected = await cliTranscript(SHORT_CLIP, fixtures);
    assert.match(expected, /young man/);
    const response = await postForm(t, await readFile(SHORT_CLIP));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.data.text, expected);
    assert.equal(response.body.data.engine, 'pocketsphinx');
    assert.equal(response.body.data.audio_type, 'wav');
    assert.equal(response.body.data.language, 'en');
    assert.equal(response.headers.get('x-engine'), 'pocketsphinx');
    assert.ok(Math.abs(Number(response.body.data.duration_seconds) - 2.99) < 0.1);
  });

  for (const format of ['mp3', 'm4a', 'flac'] as const) {
    it(`transcribes ${format} like the CLI does on the same decoded audio`, async () => {
      const file = await encodeFixture(SHORT_CLIP, format, fixtures);
      const expected = await cliTranscript(await decodeLikeTheGateway(file, format), fixtures);
      const response = await postForm(t, await readFile(file), {}, '/stt');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.data.text, expected);
      assert.equal(response.body.data.audio_type, format);
      assert.match(String(response.body.data.text), /man/);
    });
  }

  it('takes the audio as a raw body, options in the query string, and answers verbose_json', async () => {
    const response = await requestJson<SttBody>(`${t.url}/stt?response_format=verbose_json&timestamps=true`, {
      method: 'POST',
      headers: { 'Content-Type': 'audio/wav' },
      body: twoUtterances,
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const { segments, words, text } = response.body.data;
    assert.ok(segments && segments.length === 2, JSON.stringify(segments));
    assert.ok(segments[0].end < segments[1].start, 'segments in order');
    assert.ok(segments[1].start > 4 && segments[1].start < 5.5, `second utterance at ${segments[1].start}`);
    assert.equal(text, segments.map((s) => s.text).join(' '));
    assert.ok(words && words.length >= 10);
    assert.ok(words.every((w, i) => w.end >= w.start && (i === 0 || w.start >= words[i - 1].start)));
    assert.ok(!words.some((w) => /[<[(]/.test(w.text)), 'no fillers or pronunciation variants');
    assert.equal(text, await cliTranscript(twoUtterances.subarray(44), fixtures));
  });

  it('answers text, srt and vtt with monotonic cue times', async () => {
    const text = await fetch(`${t.url}/stt`, {
      method: 'POST',
      body: form(twoUtterances, { response_format: 'text' }),
    });
    assert.equal(text.status, 200);
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await text.text(), /young man/);

    const srt = await fetch(`${t.url}/stt`, {
      method: 'POST',
      body: form(twoUtterances, { response_format: 'srt' }),
    });
    assert.match(srt.headers.get('content-type') ?? '', /^application\/x-subrip/);
    const srtText = await srt.text();
    assert.match(srtText, /^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n.+\n\n2\n/);
    assertMonotonic(cueTimes(srtText));
    assert.equal(cueTimes(srtText).length, 2);

    const vtt = await fetch(`${t.url}/stt`, {
      method: 'POST',
      body: form(twoUtterances, { response_format: 'vtt' }),
    });
    assert.match(vtt.headers.get('content-type') ?? '', /^text\/vtt/);
    const vttText = await vtt.text();
    assert.ok(vttText.startsWith('WEBVTT\n\n'));
    assertMonotonic(cueTimes(vttText));
  });

  it('recognises commands with a JSGF grammar or a vocabulary', async () => {
    const raw = await readFile(GO_FORWARD_RAW);
    const wav = encodeWav(new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2), 16000);
    const grammar = await readFile(GO_FORWARD_GRAMMAR, 'utf8');
    const withGrammar = await postForm(t, wav, { grammar });
    assert.equal(withGrammar.status, 200, JSON.stringify(withGrammar.body));
    assert.equal(withGrammar.body.data.text, 'go forward ten meters');
    assert.equal(
      withGrammar.body.data.text,
      await cliTranscript(raw, fixtures, ['-jsgf', GO_FORWARD_GRAMMAR]),
    );

    const withVocabulary = await postForm(t, wav, { vocabulary: 'go, forward, backward, ten, meters, stop' });
    assert.equal(withVocabulary.status, 200, JSON.stringify(withVocabulary.body));
    assert.equal(withVocabulary.body.data.text, 'go forward ten meters');

    const unknownWord = await postForm(t, wav, { vocabulary: 'go, zorblaxian' });
    assert.equal(unknownWord.status, 400);
    assert.equal(unknownWord.body.metadata.error_code, 'VALIDATION_FAILED');
    assert.match(unknownWord.body.message, /zorblaxian/);

    const injected = await postForm(t, wav, { vocabulary: 'go ) | <x>' });
    assert.equal(injected.status, 400);
  });

  it('reports options the engine ignores', async () => {
    const response = await postForm(t, await readFile(SHORT_CLIP), {
      prompt: 'Jane Austen',
      temperature: '0.2',
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-ignored-params'), 'prompt, temperature');
    assert.deepEqual(response.body.data.ignored_params, ['prompt', 'temperature']);
  });

  it('validates language and other options', async () => {
    const german = await postForm(t, await readFile(SHORT_CLIP), { language: 'de' });
    assert.equal(german.status, 400);
    assert.equal(german.body.metadata.error_code, 'LANGUAGE_NOT_SUPPORTED');
    const regional = await postForm(t, await readFile(SHORT_CLIP), { language: 'en-US' });
    assert.equal(regional.status, 200);
    const invalid: Array<Record<string, string>> = [
      { language: 'english!' },
      { response_format: 'docx' },
      { temperature: 'hot' },
      { colour: 'red' },
    ];
    for (const fields of invalid) {
      const response = await postForm(t, await readFile(SHORT_CLIP), fields);
      assert.equal(response.status, 400, JSON.stringify(fields));
      assert.equal(response.body.metadata.error_code, 'VALIDATION_FAILED');
    }
    const json = await requestJson<SttBody>(`${t.url}/stt`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ file: 'abc' }),
    });
    assert.equal(json.status, 400);
    assert.match(json.body.message, /multipart/);
    const noFile = new FormData();
    noFile.append('language', 'en');
    const missing = await requestJson<SttBody>(`${t.url}/stt`, { method: 'POST', body: noFile });
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /'file'/);
  });

  it('decides the type by magic bytes: a spoofed name and Content-Type get 415', async () => {
    const spoofed = await requestJson<SttBody>(`${t.url}/stt`, {
      method: 'POST',
      body: form(
        Buffer.from('this is a text file, not audio at all\n'.repeat(20)),
        {},
        'speech.wav',
        'audio/wav',
      ),
    });
    assert.equal(spoofed.status, 415);
    assert.equal(spoofed.body.metadata.error_code, 'UNSUPPORTED_MEDIA_TYPE');
    const ogg = await encodeFixture(SHORT_CLIP, 'ogg', fixtures);
    const notAccepted = await requestJson<SttBody>(`${t.url}/stt`, {
      method: 'POST',
      body: form(await readFile(ogg), {}, 'speech.mp3', 'audio/mpeg'),
    });
    assert.equal(notAccepted.status, 415);
    assert.match(notAccepted.body.message, /Ogg/);
  });

  it('answers corrupt and empty audio with 400 INVALID_AUDIO', async () => {
    const corruptFlac = Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(4000, 0x5a)]);
    const wavHeaderOnly = encodeWav(new Int16Array(0), 16000);
    const truncatedWav = Buffer.concat([
      Buffer.from('RIFF'),
      Buffer.alloc(4),
      Buffer.from('WAVEfmt '),
      Buffer.alloc(100, 7),
    ]);
    for (const [name, bytes] of [
      ['corrupt flac', corruptFlac],
      ['header-only wav', wavHeaderOnly],
      ['truncated wav', truncatedWav],
      ['empty file', Buffer.alloc(0)],
    ] as const) {
      const response = await postForm(t, bytes);
      assert.equal(response.status, 400, `${name}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.metadata.error_code, 'INVALID_AUDIO', name);
    }
  });

  it('is listed with its limits and formats by GET /stt/status', async () => {
    const status = await requestJson<SttBody>(`${t.url}/stt/status`);
    assert.equal(status.status, 200);
    const engines = status.body.data.engines ?? [];
    assert.equal(engines[0]?.id, 'pocketsphinx');
    assert.equal(engines[0]?.available, true);
    assert.equal(engines[0]?.sample_rate, 16000);
    assert.deepEqual(status.body.data.supported_formats, ['wav', 'mp3', 'm4a', 'flac']);
    assert.deepEqual(status.body.data.limits, { max_file_size_mb: 50, max_audio_seconds: 600 });
    const health = await requestJson<{
      data: { engines: { stt: Array<{ id: string; available: boolean }> } };
    }>(`${t.url}/health`);
    assert.deepEqual(
      health.body.data.engines.stt.map((e) => [e.id, e.available]),
      [['pocketsphinx', true]],
    );
  });

  it('stops the decoder when the client disconnects', async () => {
    const long = Buffer.concat(Array.from({ length: 8 }, () => twoUtterances.subarray(44)));
    const controller = new AbortController();
    const pending = fetch(`${t.url}/stt`, {
      method: 'POST',
      body: form(encodeWav(new Int16Array(long.buffer, long.byteOffset, long.length / 2), 16000)),
      signal: controller.signal,
    }).catch(() => 'aborted');
    await waitFor(
      () => descendantPids('pocketsphinx_co', 'sg-stt-decode').length > 0,
      'a decoder running',
      10_000,
    );
    controller.abort();
    assert.equal(await pending, 'aborted');
    await waitFor(
      () => descendantPids('pocketsphinx_co', 'sg-stt-decode').length === 0,
      'the decoder killed',
      5000,
    );
  });
});

describe('POST /stt limits and engine availability', () => {
  const gateways: TestGateway[] = [];
  after(() => Promise.all(gateways.map((g) => g.close())));

  async function gatewayWith(config: Record<string, unknown>): Promise<TestGateway> {
    const gateway = await startTestGateway({ config: deepMerge(POCKETSPHINX_TEST_CONFIG, config) });
    gateways.push(gateway);
    return gateway;
  }

  async function tempFiles(gateway: TestGateway): Promise<string[]> {
    return readdir(join(gateway.dir, 'tmp'));
  }

  it('refuses a file over max_file_size_mb while streaming (multipart and raw) and keeps nothing', async () => {
    const t = await gatewayWith({ routers: { core: { stt: { max_file_size_mb: 0.05 } } } });
    const big = Buffer.concat([await readFile(SHORT_CLIP), Buffer.alloc(200_000)]);
    const multipart = await postForm(t, big);
    assert.equal(multipart.status, 413, JSON.stringify(multipart.body));
    assert.equal(multipart.body.metadata.error_code, 'FILE_TOO_LARGE');
    // Chunked (no Content-Length): the limit is found while streaming.
    const chunks = function* (): Generator<Buffer> {
      for (let i = 0; i < big.length; i += 16_384) yield big.subarray(i, i + 16_384);
    };
    // `duplex` is required by undici for a streamed body but missing from the DOM RequestInit type.
    const init = {
      method: 'POST',
      headers: { 'Content-Type': 'audio/wav' },
      body: ReadableStream.from(chunks()),
      duplex: 'half',
    };
    const raw = await requestJson<SttBody>(`${t.url}/stt`, init as RequestInit);
    assert.equal(raw.status, 413);
    assert.equal(raw.body.metadata.error_code, 'FILE_TOO_LARGE');
    await waitFor(async () => (await tempFiles(t)).length === 0, 'temp folder empty', 5000);
  });

  it('refuses audio longer than max_audio_seconds, even a tiny file that decodes to ten minutes', async () => {
    const t = await gatewayWith({ routers: { core: { stt: { max_audio_seconds: 60 } } } });
    const dir = await mkdtemp(join(tmpdir(), 'sg-stt-long-'));
    try {
      const silence = join(dir, 'silence.wav');
      await writeFile(silence, encodeWav(new Int16Array(16000 * 600), 16000));
      const flac = await encodeFixture(silence, 'flac', dir);
      const bytes = await readFile(flac);
      assert.ok(bytes.length < 300_000, `fixture is ${bytes.length} bytes`);
      const response = await postForm(t, bytes);
      assert.equal(response.status, 413, JSON.stringify(response.body));
      assert.equal(response.body.metadata.error_code, 'AUDIO_TOO_LONG');
      const wav = await postForm(t, await readFile(silence));
      assert.equal(wav.status, 413);
      assert.equal(wav.body.metadata.error_code, 'AUDIO_TOO_LONG');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.deepEqual(await tempFiles(t), []);
  });

  it('answers 503 ENGINE_UNAVAILABLE with the install hint when pocketsphinx is missing', async () => {
    const t = await gatewayWith({
      engines: {
        stt: [
          {
            id: 'pocketsphinx',
            type: 'pocketsphinx',
            options: { binary: 'no-such-decoder', python: '/no/python3' },
          },
        ],
      },
    });
    const response = await postForm(t, await readFile(SHORT_CLIP));
    assert.equal(response.status, 503, JSON.stringify(response.body));
    assert.equal(response.body.metadata.error_code, 'ENGINE_UNAVAILABLE');
    assert.ok(response.headers.get('retry-after'));
    const status = await requestJson<SttBody>(`${t.url}/stt/status`);
    const engine = status.body.data.engines?.[0];
    assert.equal(engine?.available, false);
    assert.match(String(engine?.reason), /apt-get install pocketsphinx pocketsphinx-en-us/);
  });

  it('falls back to the next STT engine and says which one served', async () => {
    const t = await gatewayWith({
      engines: {
        stt: [
          {
            id: 'broken',
            type: 'pocketsphinx',
            priority: 0,
            options: { binary: 'no-such-decoder', python: '/no/python3' },
          },
          { id: 'pocketsphinx', type: 'pocketsphinx', priority: 1 },
        ],
      },
    });
    const response = await postForm(t, await readFile(SHORT_CLIP));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.headers.get('x-engine'), 'pocketsphinx');
    const pinned = await requestJson<SttBody>(`${t.url}/stt`, {
      method: 'POST',
      headers: { 'X-Request-ID': 'stt-pinned-broken' },
      body: form(await readFile(SHORT_CLIP), { model: 'broken' }),
    });
    assert.equal(pinned.status, 503);
    // Analytics record the engine that served and the audio seconds of served requests only.
    const served = await requestJson<SttBody>(`${t.url}/stt`, {
      method: 'POST',
      headers: { 'X-Request-ID': 'stt-served' },
      body: form(await readFile(SHORT_CLIP)),
    });
    assert.equal(served.status, 200);
    const analytics = t.gateway.app.get(AnalyticsService);
    const rowOf = (id: string) =>
      waitFor(async () => {
        await analytics.flush();
        const rows = await t.gateway.database.dataSource.query<Array<Record<string, unknown>>>(
          'SELECT engine, audio_seconds, error_code FROM analytics_events WHERE request_id = $1',
          [id],
        );
        return rows[0];
      }, `analytics row ${id}`);
    const failedRow = await rowOf('stt-pinned-broken');
    assert.equal(failedRow['audio_seconds'], null);
    assert.equal(failedRow['error_code'], 'ENGINE_UNAVAILABLE');
    const servedRow = await rowOf('stt-served');
    assert.equal(servedRow['engine'], 'pocketsphinx');
    assert.ok(Math.abs(Number(servedRow['audio_seconds']) - 2.99) < 0.05);
  });

  it('is switched off by routers.core.stt.enabled', async () => {
    const t = await gatewayWith({ routers: { core: { stt: { enabled: false } } } });
    const response = await postForm(t, await readFile(SHORT_CLIP));
    assert.equal(response.status, 404);
    assert.equal(response.body.metadata.error_code, 'FEATURE_DISABLED');
  });
});
