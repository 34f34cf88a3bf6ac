import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliTranscript, POCKETSPHINX_TEST_CONFIG, SHORT_CLIP } from './support/speech-fixtures.js';
import { requestJson, startTestGateway, type TestGateway } from './support/test-gateway.js';

interface SttAnswer {
  data: { text: string; engine: string; words?: Array<{ text: string }>; segments?: unknown[] };
  metadata: { error_code: string | null };
}

function form(bytes: Buffer, fields: Record<string, string> = {}): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  body.append('file', new Blob([bytes]), 'clip.wav');
  return body;
}

/**
 * A second gateway whose STT engine is the OpenAI-compatible adapter pointing at the first
 * gateway's /v1/audio/transcriptions (the first runs pocketsphinx): the remote adapter speaks
 * the real contract to a real server, and falls back to a local engine when the remote fails.
 */
describe('an OpenAI-compatible STT engine pointing at another speech-gateway', () => {
  let upstream: TestGateway;
  let gateway: TestGateway;
  let fixtures: string;
  let expected: string;

  before(async () => {
    upstream = await startTestGateway({ config: POCKETSPHINX_TEST_CONFIG });
    fixtures = await mkdtemp(join(tmpdir(), 'sg-stt-peer-'));
    expected = await cliTranscript(SHORT_CLIP, fixtures);
    gateway = await startTestGateway({
      config: {
        engines: {
          stt: [
            {
              id: 'peer',
              type: 'openai',
              priority: 0,
              options: { base_url: `${upstream.url}/v1`, model: 'whisper-1', languages: ['en'] },
              resilience: {
                timeout_seconds: 60,
                retry: { max_attempts: 1 },
                circuit_breaker: { failure_threshold: 2 },
              },
            },
            { ...POCKETSPHINX_TEST_CONFIG.engines.stt[0], id: 'local', priority: 1 },
          ],
        },
      },
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
    await rm(fixtures, { recursive: true, force: true });
  });

  it('transcribes through the upstream with words and segments, as the CLI does', async () => {
    const response = await requestJson<SttAnswer>(`${gateway.url}/stt`, {
      method: 'POST',
      body: form(await readFile(SHORT_CLIP), { response_format: 'verbose_json', timestamps: 'true' }),
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.headers.get('x-engine'), 'peer');
    assert.equal(response.body.data.text, expected);
    assert.equal(response.body.data.words?.map((w) => w.text).join(' '), expected);
    assert.ok((response.body.data.segments?.length ?? 0) >= 1);
  });

  it('passes the prompt on to the remote engine instead of ignoring it', async () => {
    const response = await requestJson<SttAnswer>(`${gateway.url}/stt`, {
      method: 'POST',
      body: form(await readFile(SHORT_CLIP), { prompt: 'Sense and Sensibility' }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-ignored-params'), null);
  });

  it('falls back to the local engine when the upstream is gone', async () => {
    await upstream.close();
    const response = await requestJson<SttAnswer>(`${gateway.url}/stt`, {
      method: 'POST',
      body: form(await readFile(SHORT_CLIP)),
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.headers.get('x-engine'), 'local');
    assert.equal(response.body.data.text, expected);
    const pinned = await requestJson<SttAnswer>(`${gateway.url}/stt`, {
      method: 'POST',
      body: form(await readFile(SHORT_CLIP), { model: 'peer' }),
    });
    assert.ok([502, 503].includes(pinned.status), String(pinned.status));
    assert.ok(['ENGINE_UNAVAILABLE', 'ENGINE_FAILED'].includes(String(pinned.body.metadata.error_code)));
  });
});
