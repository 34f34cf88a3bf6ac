import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { bearer, createUserWithKey, startSecuredGateway, UNTHROTTLED_PLAN } from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { parseExposition, type PromSample, samplesOf, valueOf } from './support/prometheus-exposition.js';
import { POCKETSPHINX_TEST_CONFIG, SHORT_CLIP } from './support/speech-fixtures.js';
import {
  deepMerge,
  freePort,
  startTestGateway,
  type TestGateway,
  waitForVoices,
} from './support/test-gateway.js';

async function scrape(url: string, headers: Record<string, string> = {}): Promise<PromSample[]> {
  const response = await fetch(`${url}/metrics`, { headers });
  assert.equal(response.status, 200, await response.clone().text());
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

/** Distinct label sets of one metric family (histograms: one per bucket set, counted once). */
function seriesCount(samples: PromSample[], prefix: string): number {
  const keys = new Set(
    samples
      .filter((sample) => sample.name.startsWith(prefix))
      .map((sample) => {
        const { le: _le, ...rest } = sample.labels;
        return `${sample.name.replace(/_(bucket|sum|count)$/, '')}${JSON.stringify(rest)}`;
      }),
  );
  return keys.size;
}

describe('GET /metrics', () => {
  let t: TestGateway;
  let adminKey: string;
  let opsKey: string;
  let plainKey: string;
  let tinyKey: string;

  before(async () => {
    ({ t, adminKey } = await startSecuredGateway({
      config: deepMerge(deepMerge(ESPEAK_TEST_CONFIG, POCKETSPHINX_TEST_CONFIG), {
        rate_limits: {
          default_plan: 'roomy',
          plans: {
            roomy: { ...UNTHROTTLED_PLAN, quota_seconds: 100000 },
            enterprise: { ...UNTHROTTLED_PLAN, quota_seconds: 100000, max_concurrent_requests: 20 },
            tiny: { requests_per_minute: 1, burst_per_second: 1, quota_seconds: 1000 },
          },
        },
      }),
    }));
    await waitForVoices(t.url, 'language=en-us', 1, bearer(adminKey));
    opsKey = (await createUserWithKey(t.url, adminKey, { email: 'ops@example.com', scopes: ['ops'] })).key;
    plainKey = (await createUserWithKey(t.url, adminKey, { email: 'user@example.com' })).key;
    tinyKey = (await createUserWithKey(t.url, adminKey, { email: 'tiny@example.com', plan: 'tiny' })).key;
  });
  after(() => t.close());

  it('refuses callers without the ops scope or an admin key', async () => {
    assert.equal((await fetch(`${t.url}/metrics`)).status, 401);
    const plain = await fetch(`${t.url}/metrics`, { headers: bearer(plainKey) });
    assert.equal(plain.status, 403);
    assert.equal(
      ((await plain.json()) as { metadata: { error_code: string } }).metadata.error_code,
      'INSUFFICIENT_SCOPE',
    );
    await scrape(t.url, bearer(opsKey));
    await scrape(t.url, bearer(adminKey));
  });

  it('exposes HTTP, engine, cache, refusal and database series after real /tts and /stt requests', async () => {
    const tts = async () =>
      fetch(`${t.url}/tts`, {
        method: 'POST',
        headers: { ...bearer(adminKey), 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: 'Metrics make the gateway visible.', voice: 'en-us' }),
      });
    const first = await tts();
    assert.equal(first.status, 200);
    await first.arrayBuffer();
    const second = await tts(); // the same request again: a cache hit
    assert.equal(second.status, 200);
    await second.arrayBuffer();

    const stt = await fetch(`${t.url}/stt`, {
      method: 'POST',
      headers: { ...bearer(adminKey), 'Content-Type': 'audio/wav' },
      body: await readFile(SHORT_CLIP),
    });
    assert.equal(stt.status, 200, await stt.clone().text());

    // A rate-limit refusal: the tiny plan allows one request a minute.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${t.url}/tts/voices`, { headers: bearer(tinyKey) });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    assert.ok(statuses.includes(429), `statuses ${statuses.join(',')}`);

    const samples = await scrape(t.url, bearer(opsKey));
    const http = 'speech_gateway_http_request_duration_seconds_count';
    assert.ok((valueOf(samples, http, { method: 'POST', route: '/tts', status: '200' }) ?? 0) >= 2);
    assert.ok((valueOf(samples, http, { method: 'POST', route: '/stt', status: '200' }) ?? 0) >= 1);
    assert.ok((valueOf(samples, http, { route: '/tts/voices', status: '429' }) ?? 0) >= 1);

    assert.ok((valueOf(samples, 'speech_gateway_engine_calls_total', { engine: 'espeak' }) ?? 0) >= 1);
    assert.ok((valueOf(samples, 'speech_gateway_engine_calls_total', { engine: 'pocketsphinx' }) ?? 0) >= 1);
    assert.equal(valueOf(samples, 'speech_gateway_engine_failures_total', { engine: 'espeak' }) ?? 0, 0);
    for (const engine of ['espeak', 'pocketsphinx']) {
      assert.ok(
        (valueOf(samples, 'speech_gateway_engine_call_duration_seconds_count', {
          engine,
          outcome: 'success',
        }) ?? 0) >= 1,
        `latency of ${engine}`,
      );
      const rtfCount = valueOf(samples, 'speech_gateway_engine_real_time_factor_count', { engine }) ?? 0;
      const rtfSum = valueOf(samples, 'speech_gateway_engine_real_time_factor_sum', { engine }) ?? 0;
      assert.ok(rtfCount >= 1 && rtfSum > 0, `real-time factor of ${engine}`);
      assert.equal(valueOf(samples, 'speech_gateway_engine_breaker_state', { engine }), 0);
      assert.equal(valueOf(samples, 'speech_gateway_engine_bulkhead_active', { engine }), 0);
      assert.equal(valueOf(samples, 'speech_gateway_engine_bulkhead_queued', { engine }), 0);
    }
    // Time to first audio: TTS only (a transcription produces no audio).
    assert.ok(
      (valueOf(samples, 'speech_gateway_engine_time_to_first_audio_seconds_count', { engine: 'espeak' }) ??
        0) >= 1,
    );
    assert.equal(
      samplesOf(samples, 'speech_gateway_engine_time_to_first_audio_seconds_count', {
        engine: 'pocketsphinx',
      }).length,
      0,
    );

    assert.ok((valueOf(samples, 'speech_gateway_tts_cache_lookups_total', { result: 'miss' }) ?? 0) >= 1);
    assert.ok((valueOf(samples, 'speech_gateway_tts_cache_lookups_total', { result: 'hit' }) ?? 0) >= 1);
    assert.ok((valueOf(samples, 'speech_gateway_tts_cache_size_bytes') ?? 0) > 0);
    assert.ok((valueOf(samples, 'speech_gateway_tts_cache_entries') ?? 0) >= 1);

    assert.ok(
      (valueOf(samples, 'speech_gateway_request_refusals_total', { code: 'RATE_LIMITED' }) ?? 0) >= 1,
    );
    assert.notEqual(valueOf(samples, 'speech_gateway_db_pool_connections', { state: 'idle' }), undefined);
    assert.notEqual(valueOf(samples, 'speech_gateway_db_pool_connections', { state: 'in_use' }), undefined);
    assert.equal(valueOf(samples, 'speech_gateway_db_pool_waiting'), 0);
    assert.ok((valueOf(samples, 'process_resident_memory_bytes') ?? 0) > 0);
  });

  it('keeps the series count bounded whatever URLs, ids and callers come', async () => {
    const before = seriesCount(await scrape(t.url, bearer(opsKey)), 'speech_gateway_');
    const requests: Array<Promise<void>> = [];
    for (let i = 0; i < 150; i++) {
      const paths = [
        `/unknown/${i}-${Math.random().toString(36).slice(2)}`,
        `/admin/users/${1000 + i}`,
        `/circuit-breakers/engine-${i}/status`,
      ];
      const path = paths[i % paths.length];
      requests.push(
        fetch(`${t.url}${path}?q=${i}`, { headers: { ...bearer(adminKey), 'X-Request-ID': `id-${i}` } }).then(
          (res) => res.arrayBuffer().then(() => undefined),
        ),
      );
      if (requests.length >= 10) await Promise.all(requests.splice(0));
    }
    await Promise.all(requests);
    const samples = await scrape(t.url, bearer(opsKey));
    const after = seriesCount(samples, 'speech_gateway_');
    // A handful of new (route template, status) pairs, never one per URL or id.
    assert.ok(after - before <= 6, `series grew from ${before} to ${after}`);
    const routes = new Set(
      samplesOf(samples, 'speech_gateway_http_request_duration_seconds_count').map((s) => s.labels['route']),
    );
    assert.ok(routes.has('unmatched'));
    assert.ok(routes.has('/admin/users/:id'), [...routes].join(' '));
    for (const route of routes) assert.doesNotMatch(route, /\d{3,}|unknown\//);
    for (const sample of samples) {
      for (const value of Object.values(sample.labels)) {
        assert.doesNotMatch(value, /sgk_|@example\.com|id-\d/, `label of ${sample.name}`);
      }
    }
  });
});

describe('metrics.port and metrics.enabled', () => {
  let t: TestGateway;
  let port: number;
  before(async () => {
    port = await freePort();
    t = await startTestGateway({ config: { metrics: { port } } });
  });
  after(() => t.close());

  it('serves /metrics without authentication on metrics.port, and follows metrics.enabled live', async () => {
    const direct = `http://127.0.0.1:${port}`;
    const samples = await scrape(direct);
    assert.ok(samplesOf(samples, 'speech_gateway_http_request_duration_seconds_count').length >= 0);
    assert.ok((valueOf(samples, 'process_cpu_seconds_total') ?? -1) >= 0);
    assert.equal((await fetch(`${direct}/other`)).status, 404);

    const patch = await fetch(`${t.url}/config`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ metrics: { enabled: false } }),
    });
    assert.equal(patch.status, 200);
    assert.equal((await fetch(`${direct}/metrics`)).status, 404);
    const main = await fetch(`${t.url}/metrics`);
    assert.equal(main.status, 404);
    assert.equal(
      ((await main.json()) as { metadata: { error_code: string } }).metadata.error_code,
      'FEATURE_DISABLED',
    );
  });

  it('reads METRICS_ENABLED', async () => {
    const off = await startTestGateway({ env: { METRICS_ENABLED: 'false' } });
    try {
      assert.equal((await fetch(`${off.url}/metrics`)).status, 404);
    } finally {
      await off.close();
    }
  });
});
