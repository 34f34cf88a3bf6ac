import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { flood } from './support/flood.js';
import { type FakeOpenAiSpeech, startFakeOpenAiSpeech } from './support/fake-openai-speech.js';
import {
  requestJson,
  startTestGateway,
  type TestGateway,
  waitFor,
  waitForVoices,
} from './support/test-gateway.js';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown> | null;
}

async function send(url: string, init: RequestInit & { path: string }): Promise<Answer> {
  const response = await fetch(`${url}${init.path}`, init);
  const text = await response.text();
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // audio or empty
  }
  return { status: response.status, headers: response.headers, text, body };
}

function errorCodeOf(answer: Answer): unknown {
  const body = answer.body as { metadata?: { error_code?: string }; error?: { code?: string } } | null;
  return body?.metadata?.error_code ?? body?.error?.code;
}

function assertRefused(answer: Answer, status: number, code: string, what: string): void {
  assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 300)}`);
  assert.equal(String(errorCodeOf(answer)).toUpperCase(), code, what);
}

describe('the request edge', () => {
  let s: SecuredGateway;
  const admin = () => bearer(s.adminKey);
  const json = (key: string) => ({ ...bearer(key), 'Content-Type': 'application/json' });

  before(async () => {
    s = await startSecuredGateway({
      config: {
        ...ESPEAK_TEST_CONFIG,
        rate_limits: {
          plans: {
            free: UNTHROTTLED_PLAN,
            pro: UNTHROTTLED_PLAN,
            enterprise: UNTHROTTLED_PLAN,
          },
        },
      },
    });
    await waitForVoices(s.t.url, 'language=en-us', 1, admin());
  });
  after(() => s.t.close());

  describe('NUL and lone surrogates', () => {
    const NUL_BODIES: Array<[string, string, string]> = [
      ['/tts', '{"text":"hi","voice":"en-us\\u0000"}', 'voice'],
      ['/v1/tts', '{"text":"hi","voice":"en-us\\u0000"}', 'voice'],
      ['/v1/audio/speech', '{"input":"hi","voice":"en-us\\u0000","model":"tts-1"}', 'voice'],
      ['/v1/audio/speech', '{"input":"hi","voice":"alloy","model":"espeak\\u0000"}', 'model'],
      ['/tts', '{"text":"hi\\u0000there"}', 'text'],
      ['/tts', '{"text":"hi","voice":"en-us\\ud800"}', 'voice'],
      ['/v1/audio/speech', '{"input":"hi","voice":"alloy","model":"espeak\\udc00"}', 'model'],
      ['/tts', '{"text":"hi","voice\\u0000":"en-us"}', 'body'],
    ];
    for (const [path, body, field] of NUL_BODIES) {
      it(`refuses ${body} on ${path} with 400 naming ${field}`, async () => {
        const answer = await send(s.t.url, { path, method: 'POST', headers: json(s.adminKey), body });
        assertRefused(answer, 400, 'VALIDATION_FAILED', `${path} ${body}`);
        if (path.startsWith('/v1/audio')) {
          const error = (answer.body as { error: { message: string; type: string; param: unknown } }).error;
          assert.equal(error.type, 'invalid_request_error');
          assert.match(error.message, new RegExp(`^${field}`));
          assert.equal(error.param, field, "OpenAI's param names the field");
        } else {
          const fields = (answer.body as { data: { fields: Array<{ field: string }> } }).data.fields;
          assert.equal(fields[0]?.field, field);
        }
      });
    }

    it('reads OpenAI voice names as names, never as inherited properties', async () => {
      for (const voice of ['constructor', 'toString', '__proto__']) {
        const body = JSON.stringify({ input: 'hi', voice, model: 'tts-1' });
        const answer = await send(s.t.url, {
          path: '/v1/audio/speech',
          method: 'POST',
          headers: json(s.adminKey),
          body,
        });
        assertRefused(answer, 404, 'VOICE_NOT_FOUND', `voice ${voice}`);
      }
    });

    it('refuses NUL in a query string and in a path with 400', async () => {
      const query = await send(s.t.url, { path: '/tts/voices?engine=espeak%00', headers: admin() });
      assertRefused(query, 400, 'VALIDATION_FAILED', 'query');
      assert.match(String((query.body as { message: string }).message), /query\.engine/);
      const path = await send(s.t.url, {
        path: '/admin/users/2/keys/%00',
        method: 'DELETE',
        headers: admin(),
      });
      assertRefused(path, 400, 'VALIDATION_FAILED', 'DELETE /admin/users/2/keys/%00');
    });
  });

  describe('deep nesting', () => {
    const DEEP: Array<[string, string]> = [
      ['100,000 nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
      ['5,000 nested objects', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`],
      ['a field nested 5,000 deep', `{"text":${'['.repeat(5_000)}${']'.repeat(5_000)}}`],
    ];
    for (const [what, body] of DEEP) {
      it(`refuses ${what} with 400 before any handler`, async () => {
        const answer = await send(s.t.url, { path: '/tts', method: 'POST', headers: json(s.adminKey), body });
        assertRefused(answer, 400, 'VALIDATION_FAILED', what);
        assert.match(String((answer.body as { message: string }).message), /deeper than 64 levels/);
      });
    }

    it('still serves a body nested within the limit', async () => {
      const answer = await send(s.t.url, {
        path: '/admin/users',
        method: 'POST',
        headers: json(s.adminKey),
        body: JSON.stringify({ name: 'Nested', email: 'nested@example.com', extra: [[[[1]]]] }),
      });
      // Refused by the DTO (unknown field), not by the edge: the depth rule lets it through.
      assertRefused(answer, 400, 'VALIDATION_FAILED', 'shallow body');
      assert.doesNotMatch(answer.text, /deeper than/);
    });
  });

  describe('odd ids and pagination', () => {
    it('answers 404 for user ids no row can have', async () => {
      for (const path of ['/admin/users/99999999999', '/admin/users/99999999999999999999/keys']) {
        assertRefused(await send(s.t.url, { path, headers: admin() }), 404, 'NOT_FOUND', path);
      }
    });

    it('answers 400 naming the parameter for malformed ids and pagination out of bounds', async () => {
      for (const path of ['/admin/users/abc', '/admin/users/1.5', '/admin/users/-1']) {
        const answer = await send(s.t.url, { path, headers: admin() });
        assertRefused(answer, 400, 'VALIDATION_FAILED', path);
        assert.match(answer.text, /"field":"id"/);
      }
      const offset = await send(s.t.url, {
        path: '/admin/users?offset=18446744073709551616',
        headers: admin(),
      });
      assertRefused(offset, 400, 'VALIDATION_FAILED', 'offset');
      assert.match(offset.text, /"field":"offset"/);
      const keyId = await send(s.t.url, {
        path: '/admin/users/1/keys/a%20b',
        method: 'DELETE',
        headers: admin(),
      });
      assertRefused(keyId, 400, 'VALIDATION_FAILED', 'keyId');
      assert.match(keyId.text, /"field":"keyId"/);
    });

    it('still finds real users', async () => {
      const answer = await send(s.t.url, { path: '/admin/users/1', headers: admin() });
      assert.equal(answer.status, 200, answer.text);
    });
  });

  describe('operator status routes', () => {
    const ROUTES = [
      '/circuit-breakers/status',
      '/circuit-breakers/espeak/status',
      '/resilience/status',
      '/resilience/metrics',
      '/tts/middleware/status',
    ];

    it('refuse a key without the ops scope, and serve ops and admin keys', async () => {
      const tts = await createUserWithKey(s.t.url, s.adminKey, {
        email: 'tts-only@example.com',
        scopes: ['tts'],
      });
      const defaults = await createUserWithKey(s.t.url, s.adminKey, { email: 'defaults@example.com' });
      const ops = await createUserWithKey(s.t.url, s.adminKey, { email: 'ops@example.com', scopes: ['ops'] });
      for (const path of ROUTES) {
        const refused = await send(s.t.url, { path, headers: bearer(tts.key) });
        assertRefused(refused, 403, 'INSUFFICIENT_SCOPE', `${path} with a tts key`);
        assertRefused(
          await send(s.t.url, { path, headers: bearer(defaults.key) }),
          403,
          'INSUFFICIENT_SCOPE',
          `${path} with a default key`,
        );
        assert.equal(
          (await send(s.t.url, { path, headers: bearer(ops.key) })).status,
          200,
          `${path} with ops`,
        );
        assert.equal((await send(s.t.url, { path, headers: admin() })).status, 200, `${path} with admin`);
      }
    });
  });
});

describe('requests without a valid key', () => {
  let s: SecuredGateway;
  before(async () => {
    s = await startSecuredGateway();
  });
  after(() => s.t.close());

  it('are limited per address: 429 with Retry-After beyond the limit, valid keys still served', async () => {
    const bad = { Authorization: 'Bearer sgk_000000000000_not-a-key' };
    // rate_limits.unauthenticated_requests_per_minute, at its default (60).
    const limit = s.t.gateway.config.current.rateLimits.unauthenticatedRequestsPerMinute;
    for (let i = 0; i < limit; i++) {
      assertRefused(
        await send(s.t.url, { path: '/tts/voices', headers: bad }),
        401,
        'INVALID_API_KEY',
        `#${i}`,
      );
    }
    const limited = await send(s.t.url, { path: '/tts/voices', headers: bad });
    assertRefused(limited, 429, 'RATE_LIMITED', 'over the limit');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1, 'Retry-After');
    assertRefused(await send(s.t.url, { path: '/tts/voices' }), 429, 'RATE_LIMITED', 'no key at all');
    assert.equal((await send(s.t.url, { path: '/tts/voices', headers: bearer(s.adminKey) })).status, 200);

    const reset = await send(s.t.url, {
      path: '/rate-limit/reset/ip:127.0.0.1',
      method: 'POST',
      headers: bearer(s.adminKey),
    });
    assert.equal(reset.status, 200, reset.text);
    assertRefused(
      await send(s.t.url, { path: '/tts/voices', headers: bad }),
      401,
      'INVALID_API_KEY',
      'after reset',
    );
  });
});

describe('errors of a remote engine', () => {
  const KEY = 'sk-Edge-Secret-Key-4242';
  let fake: FakeOpenAiSpeech;
  let t: TestGateway;

  /** Everything a client could see of an answer. */
  function assertNothingLeaks(answer: Answer, what: string): void {
    const shown = `${answer.text}\n${[...answer.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}`;
    const upstream = new URL(fake.baseUrl);
    for (const secret of [
      KEY,
      KEY.toUpperCase(),
      KEY.toLowerCase(),
      Buffer.from(KEY).toString('base64'),
      encodeURIComponent(KEY),
      upstream.host,
      'upstream',
    ]) {
      assert.ok(!shown.toLowerCase().includes(secret.toLowerCase()), `${what} shows ${secret}: ${shown}`);
    }
  }

  before(async () => {
    fake = await startFakeOpenAiSpeech();
    const remote = (id: string, fallback: string[]) => ({
      id,
      type: 'openai',
      options: { base_url: fake.baseUrl, api_key: KEY, voices: [`${id}-voice`], language: 'en-us' },
      resilience: { retry: { max_attempts: 1 }, circuit_breaker: { failure_threshold: 100 } },
      fallback,
    });
    t = await startTestGateway({
      config: {
        engines: { tts: [remote('first', ['second']), remote('second', [])] },
        openai: { voice_map: { alloy: 'first-voice' } },
      },
    });
    for (const engine of ['first', 'second']) {
      await waitFor(
        async () =>
          ((await requestJson<{ data?: { voices?: unknown[] } }>(`${t.url}/tts/voices?engine=${engine}`)).body
            .data?.voices?.length ?? 0) > 0,
        `voices of ${engine}`,
        30_000,
      );
    }
  });
  after(async () => {
    await t?.close();
    await fake?.close();
  });

  const speak = (path: string, body: Record<string, unknown>) =>
    send(t.url, {
      path,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers a refused request generically, naming the engine, and logs the scrubbed detail', async () => {
    fake.fault = 'leaky_bad_request';
    const native = await speak('/tts', { text: 'Hello there.', voice: 'first-voice' });
    assertNothingLeaks(native, '/tts');
    assertRefused(native, 400, 'VALIDATION_FAILED', '/tts');
    assert.match(native.text, /first/);
    const openai = await speak('/v1/audio/speech', { input: 'Hello there.', voice: 'alloy', model: 'tts-1' });
    assert.equal(openai.status, 400, openai.text);
    assertNothingLeaks(openai, '/v1/audio/speech');

    const detail = t.rawLogs.filter((line) => line.includes('refused key')).join('\n');
    assert.ok(detail.length > 0, 'the upstream answer is logged');
    for (const secret of [KEY, KEY.toUpperCase(), KEY.toLowerCase(), Buffer.from(KEY).toString('base64')]) {
      assert.ok(!detail.includes(secret), `the log shows ${secret}`);
    }
    assert.ok(!detail.includes(encodeURIComponent(KEY)) || encodeURIComponent(KEY) === KEY);
  });

  it('answers a failing chain generically, without any engine’s upstream text', async () => {
    fake.fault = 'leaky_error500';
    const answer = await speak('/tts', { text: 'Hello there.', voice: 'first-voice' });
    assert.ok([502, 503].includes(answer.status), answer.text);
    assert.match(String(errorCodeOf(answer)), /ENGINE_(FAILED|UNAVAILABLE)/);
    assertNothingLeaks(answer, 'chain');
  });
});

describe('a request refused before its body is read', () => {
  let s: SecuredGateway;
  before(async () => {
    s = await startSecuredGateway();
  });
  after(() => s.t.close());

  it('is answered and its connection closed, not drained', async () => {
    // A keyless upload: refused by the key check before the handler reads a byte of it.
    const result = await flood(
      s.t.url,
      '/stt',
      { 'Content-Type': 'audio/wav' },
      { total: 256 * 1024 * 1024 },
    );
    assert.ok(result.received.startsWith('HTTP/1.1 401 '), result.received.slice(0, 200));
    assert.match(result.received, /\r\nconnection: close\r\n/i);
    // Kernel buffers on both sides hold a few MB; a server draining the body would take all 256.
    assert.ok(result.closedEarly && result.sent < 64 * 1024 * 1024, `${result.sent} bytes were taken`);
  });
});
