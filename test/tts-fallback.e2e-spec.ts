import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AnalyticsService } from '../src/observability/analytics.service.js';
import {
  type FakeOpenAiSpeech,
  type SpeechFault,
  startFakeOpenAiSpeech,
} from './support/fake-openai-speech.js';
import { requestJson, startTestGateway, type TestGateway, waitFor } from './support/test-gateway.js';

/*
 * TTS fallback at the gateway: the primary engine is `type: openai` against a local server
 * implementing OpenAI's /v1/audio/speech with injected faults, the fallback is espeak-ng.
 * Small timeouts keep it quick; nothing is asserted about speed.
 */

/** Breaker and timeouts small enough for a test; two failed requests open the circuit. */
const PRIMARY_RESILIENCE = {
  timeout_seconds: 0.5,
  retry: { max_attempts: 2, initial_delay_ms: 10, backoff_factor: 1 },
  circuit_breaker: { failure_threshold: 2, timeout_seconds: 2, half_open_max_calls: 1 },
};

interface SpeechAnswer {
  status: number;
  headers: Headers;
  bytes: number;
}

let sequence = 0;
/** Unique text, so the cache never answers for the engines unless a test wants it to. */
const fresh = (what: string): string => `${what}, request ${++sequence} at ${Date.now()}.`;

async function speak(t: TestGateway, text: string, voice = 'nova'): Promise<SpeechAnswer> {
  const response = await fetch(`${t.url}/tts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text, voice, response_format: 'wav' }),
  });
  return {
    status: response.status,
    headers: response.headers,
    bytes: (await response.arrayBuffer()).byteLength,
  };
}

interface BreakerStatus {
  state: string;
}

async function breakerOf(t: TestGateway, id: string): Promise<BreakerStatus> {
  return (await requestJson<{ data: BreakerStatus }>(`${t.url}/circuit-breakers/${id}/status`)).body.data;
}

interface EngineMetrics {
  id: string;
  calls: number;
  failures: number;
  aborts: number;
  retries: number;
  timeouts: number;
  rejections: { circuitOpen: number; bulkheadFull: number };
  breaker: { state: string; transitions: Array<{ state: string }> };
}

async function metricsOf(t: TestGateway, id: string): Promise<EngineMetrics> {
  const body = (await requestJson<{ data: { engines: EngineMetrics[] } }>(`${t.url}/resilience/metrics`))
    .body;
  const found = body.data.engines.find((engine) => engine.id === id);
  assert.ok(found, `metrics of ${id}`);
  return found;
}

async function resetBreaker(t: TestGateway, id: string): Promise<void> {
  const res = await fetch(`${t.url}/circuit-breakers/${id}/reset`, { method: 'POST' });
  assert.equal(res.status, 200);
}

async function waitForEngineVoices(t: TestGateway, engine: string): Promise<void> {
  await waitFor(
    async () =>
      ((await requestJson<{ data?: { voices?: unknown[] } }>(`${t.url}/tts/voices?engine=${engine}`)).body
        .data?.voices?.length ?? 0) > 0,
    `voices of ${engine}`,
    60_000,
  );
}

function assertServedByFallback(answer: SpeechAnswer, what: string): void {
  assert.equal(answer.status, 200, what);
  assert.equal(answer.headers.get('x-engine'), 'espeak', what);
  assert.equal(answer.headers.get('x-fallback-from'), 'primary', what);
  assert.equal(answer.headers.get('x-voice-used'), 'en-us', `${what}: espeak's voice of the same language`);
  assert.ok(answer.bytes > 44, what);
}

interface AnalyticsRow {
  status_code: number;
  engine: string | null;
  audio_seconds: number | null;
}

/** The analytics row of one answered request (flushing the buffer until it is written). */
async function analyticsRowOf(t: TestGateway, requestId: string): Promise<AnalyticsRow> {
  const analytics = t.gateway.app.get(AnalyticsService);
  return waitFor(async () => {
    await analytics.flush();
    const rows = await t.gateway.database.dataSource.query<AnalyticsRow[]>(
      'SELECT status_code, engine, audio_seconds FROM analytics_events WHERE request_id = $1',
      [requestId],
    );
    return rows[0];
  }, `the analytics row of ${requestId}`);
}

/**
 * A gateway whose engines are `primary` (type openai, against `fake`, with `primary`'s extra
 * keys) and espeak-ng, once both engines' voices are seeded.
 */
async function startPrimaryAndEspeak(
  fake: FakeOpenAiSpeech,
  primary: Record<string, unknown>,
  config: Record<string, unknown>,
): Promise<TestGateway> {
  const t = await startTestGateway({
    config: {
      ...config,
      features: { library_integration: true },
      engines: {
        tts: [
          {
            id: 'primary',
            type: 'openai',
            options: { base_url: fake.baseUrl, voices: ['nova'], language: 'en-us' },
            ...primary,
          },
          { id: 'espeak', type: 'espeak', options: { backend: 'wasm', workers: 1 } },
        ],
      },
    },
  });
  await waitForEngineVoices(t, 'primary');
  await waitForEngineVoices(t, 'espeak');
  return t;
}

describe('TTS fallback from a failing remote engine to espeak-ng', () => {
  let fake: FakeOpenAiSpeech;
  let t: TestGateway;
  before(async () => {
    fake = await startFakeOpenAiSpeech();
    t = await startPrimaryAndEspeak(
      fake,
      { fallback: ['espeak'], resilience: PRIMARY_RESILIENCE },
      // OpenAI's voice names map to the primary's voice (the default map sends nova to espeak's en-us).
      { openai: { voice_map: { alloy: 'nova' } } },
    );
  });
  after(async () => {
    await t?.close();
    await fake?.close();
  });
  beforeEach(async () => {
    fake.fault = 'ok';
    fake.okBeforeFault = 0;
    fake.faultsByText = {};
    await resetBreaker(t, 'primary');
  });

  it('serves from the voice’s own engine while it is healthy, saying so', async () => {
    const answer = await speak(t, fresh('Healthy primary'));
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-engine'), 'primary');
    assert.equal(answer.headers.get('x-voice-used'), 'nova');
    assert.equal(answer.headers.get('x-fallback-from'), null);
  });

  it('retries 500s, falls back meanwhile, opens the breaker at the threshold and then rejects without calling', async () => {
    fake.fault = 'error500';
    const before = fake.speechRequests;
    assertServedByFallback(await speak(t, fresh('First 500')), 'first failure');
    assert.equal(fake.speechRequests - before, 2, 'a 500 is transient: retried once (max_attempts 2)');
    assert.equal((await breakerOf(t, 'primary')).state, 'closed', 'one failure is below failure_threshold 2');

    assertServedByFallback(await speak(t, fresh('Second 500')), 'second failure');
    assert.equal(fake.speechRequests - before, 4);
    assert.equal((await breakerOf(t, 'primary')).state, 'open', 'failure_threshold reached');

    const rejectedBefore = (await metricsOf(t, 'primary')).rejections.circuitOpen;
    assertServedByFallback(await speak(t, fresh('While open')), 'breaker open');
    assert.equal(fake.speechRequests - before, 4, 'an open breaker does not call the server');
    assert.equal((await metricsOf(t, 'primary')).rejections.circuitOpen, rejectedBefore + 1);
  });

  it('reports degraded /health, naming the fallback, while the breaker is open', async () => {
    fake.fault = 'error500';
    await speak(t, fresh('Open it'));
    await speak(t, fresh('Open it again'));
    assert.equal((await breakerOf(t, 'primary')).state, 'open');
    const health = await requestJson<{
      data: { status: string; checks: Record<string, { status: string; detail?: string }> };
    }>(`${t.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.data.status, 'degraded');
    const breakers = health.body.data.checks['circuit_breakers'];
    assert.equal(breakers?.status, 'degraded', JSON.stringify(breakers));
    assert.equal(breakers?.detail, 'primary: circuit breaker open, fallback espeak serves');
    assert.notEqual(health.body.data.checks['engines']?.status, 'down');
  });

  it('probes half-open after timeout_seconds and closes on success', async () => {
    fake.fault = 'error500';
    await speak(t, fresh('Break'));
    await speak(t, fresh('Break again'));
    assert.equal((await breakerOf(t, 'primary')).state, 'open');
    fake.fault = 'ok';
    const before = fake.speechRequests;
    const probed = await waitFor(
      async () => {
        const answer = await speak(t, fresh('Probe'));
        assert.equal(answer.status, 200);
        return answer.headers.get('x-engine') === 'primary' ? answer : null;
      },
      'the half-open probe to reach the recovered primary',
      15_000,
    );
    assert.equal(probed.headers.get('x-fallback-from'), null);
    assert.equal(fake.speechRequests - before, 1, 'only the probe reached the server');
    assert.equal((await breakerOf(t, 'primary')).state, 'closed');
    const states = (await metricsOf(t, 'primary')).breaker.transitions.map((tr) => tr.state);
    assert.deepEqual(states.slice(-3), ['open', 'half-open', 'closed']);
    await waitFor(
      async () =>
        (await requestJson<{ data: { checks: Record<string, { status: string }> } }>(`${t.url}/health`)).body
          .data.checks['circuit_breakers']?.status === 'up',
      '/health circuit_breakers up again',
    );
  });

  const faults: Array<{ fault: SpeechFault; calls: number; why: string }> = [
    { fault: 'hang', calls: 2, why: 'timed out (transient), retried' },
    { fault: 'slow_stream', calls: 2, why: 'timed out mid-body (transient), retried' },
    { fault: 'rate_limited', calls: 2, why: '429 with Retry-After (transient), retried after it' },
    { fault: 'reset', calls: 2, why: 'connection reset (transient), retried' },
    { fault: 'malformed', calls: 1, why: 'a 200 that is not audio (failed), not retried' },
  ];
  for (const { fault, calls, why } of faults) {
    it(`falls back when the primary’s server answers with ${fault}: ${why}`, async () => {
      fake.fault = fault;
      const before = fake.speechRequests;
      const cutBefore = fake.server.cutOff;
      assertServedByFallback(await speak(t, fresh(`Fault ${fault}`)), fault);
      assert.equal(fake.speechRequests - before, calls, `${fault}: calls to the server`);
      if (fault === 'hang' || fault === 'slow_stream') {
        // The timeout aborts the HTTP call: the server sees each attempt cut off.
        await waitFor(() => fake.server.cutOff - cutBefore >= calls, `${fault} attempts aborted`);
        assert.equal((await metricsOf(t, 'primary')).timeouts, calls);
      }
      const metrics = await metricsOf(t, 'primary');
      assert.equal(metrics.failures, 1);
      assert.equal(metrics.retries, calls - 1);
    });
  }

  it('charges only the audio of the engine that served, not a primary that failed mid-text', async () => {
    fake.fault = 'error500';
    fake.okBeforeFault = 1;
    const text = `${fresh('The first chunk of this text is spoken by the primary engine before it fails')} ${'The second chunk is where the primary answers with a server error, so the fallback speaks all of it. '.repeat(2)}`;
    const response = await fetch(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text, voice: 'nova', response_format: 'wav' }),
    });
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-engine'), 'espeak');
    assert.equal(fake.okBeforeFault, 0, 'the primary served a chunk before it failed');
    const row = await analyticsRowOf(t, String(response.headers.get('x-request-id')));
    assert.equal(row.engine, 'espeak');
    const served = Number(response.headers.get('x-audio-duration'));
    assert.ok(
      Math.abs((row.audio_seconds ?? 0) - served) < 0.002,
      `recorded ${row.audio_seconds} s, served ${served} s`,
    );
  });

  it('cancels the failed engine’s other chunks instead of letting them run to their timeout', async () => {
    fake.faultsByText = { Failing: 'error500', Hanging: 'hang' };
    const text = `${fresh('Failing: this chunk of the text gets a server error from the primary engine every time it is asked')} Hanging: this chunk of the text never gets an answer from the primary engine, however long it waits.`;
    const answer = await speak(t, text);
    assertServedByFallback(answer, 'one chunk failed, one hung');
    const metrics = await waitFor(async () => {
      const current = await metricsOf(t, 'primary');
      return current.aborts >= 1 ? current : null;
    }, 'the hanging chunk to be cancelled');
    assert.equal(metrics.aborts, 1);
    assert.equal(metrics.timeouts, 0, 'cancelled, not left to time out');
  });

  it('does not fall back on the client’s own mistakes', async () => {
    fake.fault = 'bad_request';
    const before = fake.speechRequests;
    const answer = await requestJson<{ metadata: { error_code: string } }>(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: fresh('Refused'), voice: 'nova' }),
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.metadata.error_code, 'VALIDATION_FAILED');
    assert.equal(answer.headers.get('x-engine'), null);
    assert.equal(fake.speechRequests - before, 1, 'not retried');
    const again = await requestJson(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: fresh('Refused again'), voice: 'nova' }),
    });
    assert.equal(again.status, 400);
    assert.equal(
      (await breakerOf(t, 'primary')).state,
      'closed',
      'the client’s mistakes do not count towards failure_threshold 2',
    );
  });

  it('caches under the engine that made the audio', async () => {
    const text = fresh('Cached by whoever spoke');
    fake.fault = 'error500';
    await speak(t, fresh('Open'));
    await speak(t, fresh('Open again'));
    const first = await speak(t, text);
    assertServedByFallback(first, 'first');
    assert.equal(first.headers.get('x-cache'), 'miss');
    const again = await speak(t, text);
    assertServedByFallback(again, 'again');
    assert.equal(again.headers.get('x-cache'), 'hit', 'the fallback’s answer is cached under the fallback');

    fake.fault = 'ok';
    await resetBreaker(t, 'primary');
    const recovered = await speak(t, text);
    assert.equal(recovered.headers.get('x-engine'), 'primary');
    assert.equal(
      recovered.headers.get('x-cache'),
      'miss',
      'the fallback’s audio is not served as the primary’s',
    );
  });

  it('falls back before the first byte of a stream', async () => {
    fake.fault = 'error500';
    const response = await fetch(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: fresh('Streamed'), voice: 'nova', response_format: 'wav', stream: true }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-engine'), 'espeak');
    assert.equal(response.headers.get('x-fallback-from'), 'primary');
    assert.ok((await response.arrayBuffer()).byteLength > 44);
  });

  it('says who served on the OpenAI surface and in JSON answers too', async () => {
    fake.fault = 'error500';
    const speech = await fetch(`${t.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: 'tts-1',
        input: fresh('OpenAI surface'),
        voice: 'alloy',
        response_format: 'wav',
      }),
    });
    assert.equal(speech.status, 200);
    assert.equal(speech.headers.get('x-engine'), 'espeak');
    assert.equal(speech.headers.get('x-fallback-from'), 'primary');
    await speech.arrayBuffer();
    const json = await requestJson<{ data: { engine: string; voice_used: string; fallback_from?: string } }>(
      `${t.url}/tts`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ text: fresh('JSON answer'), voice: 'nova' }),
      },
    );
    assert.equal(json.status, 200);
    assert.deepEqual(
      [json.body.data.engine, json.body.data.voice_used, json.body.data.fallback_from],
      ['espeak', 'en-us', 'primary'],
    );
  });
});

describe('TTS engines with nowhere left to fall back to', () => {
  let fake: FakeOpenAiSpeech;
  let backup: FakeOpenAiSpeech;
  let slow: FakeOpenAiSpeech;
  let t: TestGateway;
  before(async () => {
    fake = await startFakeOpenAiSpeech();
    backup = await startFakeOpenAiSpeech();
    slow = await startFakeOpenAiSpeech();
    const noRetry = { max_attempts: 1 };
    /** A remote engine that opens its breaker at the first failure and probes after `reopenSeconds`. */
    const failFast = (id: string, server: FakeOpenAiSpeech, reopenSeconds: number) => ({
      id,
      type: 'openai',
      options: { base_url: server.baseUrl, voices: ['nova'], language: 'en-us' },
      resilience: {
        timeout_seconds: 0.5,
        retry: noRetry,
        circuit_breaker: { failure_threshold: 1, timeout_seconds: reopenSeconds },
      },
    });
    t = await startTestGateway({
      config: {
        routers: { core: { tts: { cache: { enabled: false } } } },
        engines: {
          tts: [
            { ...failFast('primary', fake, 5), fallback: ['backup'] },
            failFast('backup', backup, 20),
            {
              id: 'solo',
              type: 'openai',
              options: { base_url: slow.baseUrl, voices: ['solo-voice'], language: 'en-us' },
              resilience: { timeout_seconds: 10, retry: noRetry, bulkhead: { max_concurrent: 1, queue: 0 } },
            },
          ],
        },
      },
    });
    await waitForEngineVoices(t, 'primary');
    await waitForEngineVoices(t, 'backup');
    await waitForEngineVoices(t, 'solo');
  });
  after(async () => {
    await t?.close();
    await fake?.close();
    await backup?.close();
    await slow?.close();
  });

  it('answers 503 ENGINE_UNAVAILABLE with the soonest breaker reopening when every engine is down, charging nothing', async () => {
    fake.fault = 'error500';
    backup.fault = 'reset';
    const first = await requestJson<{
      message: string;
      metadata: { error_code: string; request_id: string };
    }>(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: fresh('Down'), voice: 'nova' }),
    });
    assert.equal(first.status, 503, JSON.stringify(first.body));
    assert.equal(first.body.metadata.error_code, 'ENGINE_UNAVAILABLE');
    assert.match(first.body.message, /primary: .*; backup: /);
    assert.ok(first.headers.get('retry-after'));

    const open = await requestJson<{ message: string; metadata: { error_code: string; request_id: string } }>(
      `${t.url}/tts`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: fresh('Still down'), voice: 'nova' }),
      },
    );
    assert.equal(open.status, 503);
    assert.equal(open.body.metadata.error_code, 'ENGINE_UNAVAILABLE');
    assert.match(open.body.message, /primary: circuit breaker open; backup: circuit breaker open/);
    const retryAfter = Number(open.headers.get('retry-after'));
    assert.ok(
      retryAfter >= 1 && retryAfter <= 5,
      `Retry-After ${retryAfter}: the primary reopens first (5 s, not 20 s)`,
    );

    for (const answer of [first, open]) {
      const row = await analyticsRowOf(t, answer.body.metadata.request_id);
      assert.equal(row.status_code, 503);
      assert.equal(row.audio_seconds, null, 'no audio seconds recorded (or charged) for a failed request');
    }
  });

  it('records audio seconds only for the engine that served', async () => {
    const served = await fetch(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: fresh('Solo serves'), voice: 'solo-voice', response_format: 'wav' }),
    });
    assert.equal(served.status, 200);
    await served.arrayBuffer();
    const row = await analyticsRowOf(t, String(served.headers.get('x-request-id')));
    assert.equal(row.engine, 'solo');
    assert.ok((row.audio_seconds ?? 0) > 0);
  });

  it('answers the bulkhead’s overflow with 503 ENGINE_BUSY when the engine has no fallback', async () => {
    slow.delayMs = 1500;
    try {
      const answers = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          requestJson<{ metadata: { error_code: string } }>(`${t.url}/tts`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: JSON.stringify({ text: fresh(`Crowd ${i}`), voice: 'solo-voice' }),
          }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      assert.ok(statuses.includes(200), `statuses ${statuses.join(',')}`);
      const busy = answers.filter((a) => a.status === 503);
      assert.ok(busy.length >= 1, `statuses ${statuses.join(',')}`);
      for (const answer of busy) {
        assert.equal(answer.body.metadata.error_code, 'ENGINE_BUSY');
        assert.ok(Number(answer.headers.get('retry-after')) >= 1);
      }
    } finally {
      slow.delayMs = 0;
    }
  });
});

describe('the TTS route’s default fallback chain', () => {
  let fake: FakeOpenAiSpeech;
  let t: TestGateway;
  before(async () => {
    fake = await startFakeOpenAiSpeech();
    t = await startPrimaryAndEspeak(
      fake,
      { resilience: { timeout_seconds: 0.5, retry: { max_attempts: 1 } } },
      { routers: { core: { tts: { fallback: ['espeak'] } } } },
    );
  });
  after(async () => {
    await t?.close();
    await fake?.close();
  });

  it('serves a voice whose engine names no fallback of its own', async () => {
    assert.equal((await speak(t, fresh('Route default, healthy'))).headers.get('x-engine'), 'primary');
    fake.fault = 'error500';
    assertServedByFallback(await speak(t, fresh('Route default, failing')), 'the route’s default chain');
  });
});
