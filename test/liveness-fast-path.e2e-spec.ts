import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from './support/test-gateway.js';

/**
 * GET/HEAD /health/live are answered before Nest's router (observability/liveness-fast-path.ts).
 * Express matches routes case-insensitively, so /HEALTH/LIVE still reaches the Nest controller:
 * the two answers must agree header for header and field for field.
 */
const HTTP_COUNT = 'speech_gateway_http_request_duration_seconds_count';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function ask(url: string, method: 'GET' | 'HEAD', requestId: string): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: { 'X-Request-ID': requestId, Origin: 'https://app.example' },
  });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}

/** Drops what varies per request: the date, the measured times and the length they change. */
function comparable(answer: Answer): Answer {
  const headers = { ...answer.headers };
  for (const name of ['date', 'x-response-time', 'content-length']) {
    assert.ok(name in headers, `${name} is sent`);
    delete headers[name];
  }
  let body = answer.body;
  if (body !== '') {
    const parsed = JSON.parse(body) as { metadata: Record<string, unknown> };
    assert.equal(typeof parsed.metadata['timestamp'], 'string');
    assert.equal(typeof parsed.metadata['execution_time'], 'number');
    parsed.metadata['timestamp'] = 'T';
    parsed.metadata['execution_time'] = 0;
    body = JSON.stringify(parsed);
  }
  assert.match(answer.headers['x-response-time'] ?? '', /^\d+\.\dms$/);
  return { ...answer, headers, body };
}

async function probeCount(url: string, method: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (candidate) =>
        candidate.startsWith(`${HTTP_COUNT}{`) &&
        candidate.includes(`method="${method}"`) &&
        candidate.includes('route="/health/live"') &&
        candidate.includes('status="200"'),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET/HEAD /health/live fast path', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: {
        middleware: { timing: { enabled: true } },
        cors: { allowed_origins: ['https://app.example'] },
      },
    });
  });
  after(() => t.close());

  for (const method of ['GET', 'HEAD'] as const) {
    it(`${method}: answers exactly as the Nest controller does`, async () => {
      const fast = await ask(`${t.url}/health/live`, method, 'probe-fast-1');
      const nest = await ask(`${t.url}/HEALTH/LIVE`, method, 'probe-fast-1');
      assert.deepEqual(comparable(fast), comparable(nest));
      assert.equal(fast.status, 200);
      assert.equal(fast.headers['x-request-id'], 'probe-fast-1');
      if (method === 'GET') {
        assert.deepEqual((JSON.parse(fast.body) as { data: unknown }).data, { status: 'alive' });
      }
    });

    it(`${method}: is counted in the HTTP metrics under its route`, async () => {
      const before = await probeCount(t.url, method);
      await ask(`${t.url}/health/live`, method, 'probe-fast-2');
      await ask(`${t.url}/HEALTH/LIVE`, method, 'probe-fast-3');
      assert.equal(await probeCount(t.url, method), before + 2);
    });
  }

  it('generates a request id when none is sent, as the Nest route does', async () => {
    const fast = await fetch(`${t.url}/health/live`);
    const body = (await fast.json()) as { metadata: { request_id: string } };
    assert.ok(body.metadata.request_id.length > 0);
    assert.equal(fast.headers.get('x-request-id'), body.metadata.request_id);
  });
});
