import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { requestJson, startTestGateway, type TestGateway, waitForVoices } from './support/test-gateway.js';

interface Envelope {
  status: string;
  data: Record<string, unknown> & { fields?: Array<{ field: string }> };
  metadata: { error_code: string | null; request_id: string };
}

async function tts(t: TestGateway, path: string, body: Record<string, unknown>) {
  const response = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ text: 'Aliases work.', ...body }),
  });
  return { status: response.status, body: (await response.json()) as Envelope };
}

describe('voice_name and voice_id on /tts and /v1/tts', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ config: ESPEAK_TEST_CONFIG });
    await waitForVoices(t.url, 'language=en-gb');
  });
  after(() => t.close());

  for (const path of ['/tts', '/v1/tts']) {
    it(`${path}: accepts voice_name and voice_id as aliases of voice`, async () => {
      for (const field of ['voice_name', 'voice_id', 'voice']) {
        const answer = await tts(t, path, { [field]: 'en-gb' });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.body.data['voice_used'], 'en-gb', field);
      }
      const same = await tts(t, path, { voice: 'en-gb', voice_id: 'en-gb', voice_name: 'en-gb' });
      assert.equal(same.status, 200);
    });

    it(`${path}: refuses aliases naming different voices with 400 VALIDATION_FAILED`, async () => {
      const answer = await tts(t, path, { voice: 'en-us', voice_id: 'en-gb' });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.metadata.error_code, 'VALIDATION_FAILED');
      assert.deepEqual(
        answer.body.data.fields?.map((f) => f.field),
        ['voice_id'],
      );
      const other = await tts(t, path, { voice_name: 'en-us', voice_id: 'en-gb' });
      assert.equal(other.status, 400);
    });
  }
});

describe('deprecated STTS phase-2 keys and the migration guide variables', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: { features: { enable_adapters: true }, enable_historical_tracking: false },
      env: {
        RATE_LIMIT_BURST_SIZE: '7',
        CIRCUIT_BREAKER_ENABLED: 'false',
        METRICS_ENABLED: 'false',
        CORRELATION_ID_HEADER: 'X-Correlation-ID',
        CORS_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
        CORS_ALLOW_CREDENTIALS: 'true',
        CORS_ALLOWED_METHODS: 'GET,POST',
      },
    });
  });
  after(() => t.close());

  it('accepts the aliases with one warning each at load and in /config/validation', async () => {
    const validation = await requestJson<{ data: { valid: boolean; warnings: string[] } }>(
      `${t.url}/config/validation`,
    );
    assert.equal(validation.body.data.valid, true);
    assert.deepEqual(validation.body.data.warnings, [
      'enable_historical_tracking is deprecated; use middleware.analytics.enabled',
      'features.enable_adapters is deprecated; use features.use_adapters',
    ]);
    const logged = t.logs.filter((line) => String(line['msg']).startsWith('deprecated config key'));
    assert.equal(logged.length, 2);
    assert.ok(logged.every((line) => line['level'] === 40));
    const config = await requestJson<{ data: { middleware: { analytics: { enabled: boolean } } } }>(
      `${t.url}/config`,
    );
    assert.equal(config.body.data.middleware.analytics.enabled, false);

    // A later edit that keeps the aliases does not log them again.
    const patch = await fetch(`${t.url}/config`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ middleware: { timing: { slow_request_threshold: 4 } } }),
    });
    assert.equal(patch.status, 200);
    assert.equal(t.logs.filter((line) => String(line['msg']).startsWith('deprecated config key')).length, 2);
  });

  it('applies each environment variable to its key', async () => {
    const validation = await requestJson<{
      data: { env_overrides: Array<{ variable: string; path: string }> };
    }>(`${t.url}/config/validation`);
    const paths = Object.fromEntries(validation.body.data.env_overrides.map((o) => [o.variable, o.path]));
    assert.deepEqual(paths, {
      RATE_LIMIT_BURST_SIZE: 'rate_limits.plans.free.burst_per_second',
      CIRCUIT_BREAKER_ENABLED: 'resilience.circuit_breaker.enabled',
      METRICS_ENABLED: 'metrics.enabled',
      CORRELATION_ID_HEADER: 'server.request_id_header',
      CORS_ALLOWED_ORIGINS: 'cors.allowed_origins',
      CORS_ALLOW_CREDENTIALS: 'cors.allow_credentials',
      CORS_ALLOWED_METHODS: 'cors.allowed_methods',
    });
    const config = await requestJson<{ data: Record<string, Record<string, unknown>> }>(`${t.url}/config`);
    const doc = config.body.data;
    assert.equal(
      (doc['rate_limits']['plans'] as Record<string, { burst_per_second: number }>)['free'].burst_per_second,
      7,
    );
    assert.equal((doc['resilience']['circuit_breaker'] as { enabled: boolean }).enabled, false);
    assert.deepEqual(doc['cors']['allowed_origins'], ['https://a.example', 'https://b.example']);
    assert.deepEqual(doc['cors']['allowed_methods'], ['GET', 'POST']);
    assert.equal(doc['cors']['allow_credentials'], true);
    assert.equal((await fetch(`${t.url}/metrics`)).status, 404);
  });

  it('reads and echoes the request id in the CORRELATION_ID_HEADER header', async () => {
    const response = await fetch(`${t.url}/health/live`, { headers: { 'X-Correlation-ID': 'corr-42' } });
    assert.equal(response.headers.get('x-correlation-id'), 'corr-42');
    assert.equal(response.headers.get('x-request-id'), 'corr-42');
    // X-Request-ID is no longer the input header.
    const other = await fetch(`${t.url}/health/live`, { headers: { 'X-Request-ID': 'not-read' } });
    assert.notEqual(other.headers.get('x-request-id'), 'not-read');
  });

  it('answers a credentialed preflight for a listed origin only', async () => {
    const allowed = await fetch(`${t.url}/tts`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://b.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://b.example');
    assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(allowed.headers.get('access-control-allow-methods'), 'GET, POST');
    const put = await fetch(`${t.url}/tts`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://b.example', 'Access-Control-Request-Method': 'PUT' },
    });
    assert.equal(put.headers.get('access-control-allow-origin'), null);
  });
});

describe('CORS, configured live', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: { cors: { allowed_origins: ['https://app.example'], max_age_seconds: 120 } },
    });
  });
  after(() => t.close());

  const preflight = (origin: string) =>
    fetch(`${t.url}/tts`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type',
      },
    });

  it('answers an allowed origin’s preflight and refuses another', async () => {
    const allowed = await preflight('https://app.example');
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /\bPOST\b/);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /Content-Type/);
    assert.equal(allowed.headers.get('access-control-max-age'), '120');
    assert.equal(allowed.headers.get('access-control-allow-credentials'), null);
    assert.match(allowed.headers.get('vary') ?? '', /Origin/);

    const refused = await preflight('https://evil.example');
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    assert.equal(refused.headers.get('access-control-allow-methods'), null);
  });

  it('lets browsers read the gateway’s headers on answers, errors included', async () => {
    const expected = [
      'X-Request-ID',
      'X-Audio-Duration',
      'X-Sample-Rate',
      'X-Voice-Used',
      'X-Engine',
      'X-Quota-Remaining',
      'X-Cache',
      'RateLimit-Policy',
      'RateLimit',
      'Retry-After',
    ];
    for (const path of ['/health/live', '/no-such-route']) {
      const response = await fetch(`${t.url}${path}`, { headers: { Origin: 'https://app.example' } });
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example', path);
      const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
      assert.deepEqual(exposed, expected, path);
    }
    const refused = await fetch(`${t.url}/health/live`, { headers: { Origin: 'https://evil.example' } });
    assert.equal(refused.headers.get('access-control-expose-headers'), null);
  });

  it('applies a PATCH /config of cors: to the next request', async () => {
    const patch = await fetch(`${t.url}/config`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        cors: { allowed_origins: ['https://new.example'], allowed_methods: ['GET'], max_age_seconds: 30 },
      }),
    });
    assert.equal(patch.status, 200);
    assert.equal((await preflight('https://app.example')).headers.get('access-control-allow-origin'), null);
    const newOrigin = await fetch(`${t.url}/tts`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://new.example', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(newOrigin.status, 204);
    assert.equal(newOrigin.headers.get('access-control-allow-origin'), 'https://new.example');
    assert.equal(newOrigin.headers.get('access-control-max-age'), '30');
    assert.equal((await preflight('https://new.example')).headers.get('access-control-allow-origin'), null);

    const refused = await fetch(`${t.url}/config`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ cors: { allowed_origins: ['*'], allow_credentials: true } }),
    });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as Envelope).metadata.error_code, 'CONFIG_INVALID');
  });
});
