import assert from 'node:assert/strict';
import { rejectsWithKind } from '../../testing/engine-assertions.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { EngineError } from '../../ports/engine-error.js';
import { RemoteEngineError } from './remote-engine-error.js';
import { RemoteHttpClient } from './remote-http-client.js';
import {
  closedPortUrl,
  everythingAnErrorShows,
  type LocalHttpServer,
  playTransportFault,
  sendJson,
  startLocalHttpServer,
} from './testing/local-http-server.js';

const KEY = 'sk-client-test-7Hq2Lm9Zp0';
const never = new AbortController().signal;

/** Routes of a tiny API: each path plays one answer or fault; /echo reflects what arrived. */
function route(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  switch (url.pathname) {
    case '/echo':
      return sendJson(res, 200, {
        method: req.method,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'] ?? null,
        authorization: req.headers.authorization ?? null,
        body: body.toString('utf8'),
      });
    case '/bytes':
      res.writeHead(200, { 'Content-Type': 'audio/wav; codec=1' });
      return void res.end(Buffer.from([1, 2, 3, 4]));
    case '/not-json':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end('{"truncated":');
    case '/429':
      return sendJson(res, 429, { error: { message: 'slow down' } }, { 'Retry-After': '7' });
    case '/503':
      return sendJson(res, 503, { error: { message: 'overloaded' } });
    case '/401':
      // Echoes the presented key, as a careless server might.
      return sendJson(res, 401, { error: { message: `bad key ${req.headers.authorization ?? ''}` } });
    case '/400':
      return sendJson(res, 400, { error: { message: `field x is wrong; you sent ${KEY}`, param: 'x' } });
    case '/leaky': {
      const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const forms = [key.toUpperCase(), key.toLowerCase(), Buffer.from(key).toString('base64')];
      return sendJson(res, 500, { error: { message: `${forms.join(' ')} ${encodeURIComponent(key)}` } });
    }
    case '/hang':
      return playTransportFault('hang', req, res);
    case '/reset':
      return playTransportFault('reset', req, res);
    case '/slow':
      return playTransportFault('slow_stream', req, res);
    default:
      return sendJson(res, 404, { detail: 'Not Found' });
  }
}

void describe('RemoteHttpClient', () => {
  let server: LocalHttpServer;
  let client: RemoteHttpClient;
  const make = (extra: Partial<ConstructorParameters<typeof RemoteHttpClient>[0]> = {}) =>
    new RemoteHttpClient({
      engineId: 'remote-test',
      baseUrl: server.url,
      apiKey: KEY,
      timeoutMs: 2000,
      ...extra,
    });

  before(async () => {
    server = await startLocalHttpServer(route);
    client = make();
  });
  after(async () => {
    client.dispose();
    await server.close();
  });

  void it('sends JSON with the bearer key and the query, and reuses one socket', async () => {
    const before = server.connections;
    for (let i = 0; i < 3; i++) {
      const echo = (await client.sendJson({
        method: 'POST',
        path: '/echo',
        query: { GroupId: 'g-1' },
        json: { n: i },
        signal: never,
      })) as Record<string, unknown>;
      assert.equal(echo.authorization, `Bearer ${KEY}`);
      assert.deepEqual(echo.query, { GroupId: 'g-1' });
      assert.equal(echo.contentType, 'application/json');
      assert.deepEqual(JSON.parse(echo.body as string), { n: i });
    }
    assert.equal(server.connections - before, 1, 'keep-alive: one connection for three calls');
  });

  void it('sends a multipart form', async () => {
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([Buffer.from('RIFF')], { type: 'audio/wav' }), 'audio.wav');
    const echo = (await client.sendJson({ method: 'POST', path: '/echo', form, signal: never })) as Record<
      string,
      string
    >;
    assert.match(echo.contentType, /^multipart\/form-data; boundary=/);
    assert.match(echo.body, /name="model"\r\n\r\nwhisper-1/);
    assert.match(echo.body, /filename="audio.wav"/);
  });

  void it('returns bytes with the bare media type', async () => {
    const reply = await client.send({ method: 'GET', path: '/bytes', signal: never });
    assert.deepEqual([...reply.body], [1, 2, 3, 4]);
    assert.equal(reply.contentType, 'audio/wav');
  });

  void it('maps 429 to transient with Retry-After, 503 to transient', async () => {
    const limited = await rejectsWithKind(
      client.send({ method: 'GET', path: '/429', signal: never }),
      'transient',
    );
    assert.ok(limited instanceof RemoteEngineError);
    assert.equal(limited.retryAfterSeconds, 7);
    assert.match(limited.message, /HTTP 429: slow down/);
    await rejectsWithKind(client.send({ method: 'GET', path: '/503', signal: never }), 'transient');
  });

  void it('maps 401 to unavailable without quoting the server (which echoed the key)', async () => {
    const error = await rejectsWithKind(
      client.send({ method: 'GET', path: '/401', signal: never }),
      'unavailable',
    );
    assert.match(error.message, /HTTP 401/);
    assert.ok(!everythingAnErrorShows(error).includes(KEY));
  });

  void it('maps other 4xx to invalid_input, quoting the server without the key', async () => {
    const error = await rejectsWithKind(
      client.send({ method: 'GET', path: '/400', signal: never }),
      'invalid_input',
    );
    assert.match(error.message, /field x is wrong/);
    assert.match(error.message, /\[redacted\]/);
    assert.ok(!everythingAnErrorShows(error).includes(KEY));
  });

  void it('scrubs the key in any case, base64 or percent-encoded form from quoted server text', async () => {
    const error = await rejectsWithKind(
      client.send({ method: 'GET', path: '/leaky', signal: never }),
      'transient',
    );
    const shown = everythingAnErrorShows(error);
    for (const form of [KEY, KEY.toUpperCase(), KEY.toLowerCase(), Buffer.from(KEY).toString('base64')]) {
      assert.ok(!shown.includes(form), `${form} in ${shown}`);
    }
    assert.match(error.message, /\[redacted\]/);
  });

  void it('names the path in messages, never base_url (an internal address)', async () => {
    const host = new URL(server.url).host;
    for (const path of ['/400', '/503', '/401', '/nope']) {
      const error = await client.send({ method: 'GET', path, signal: never }).catch((e: unknown) => e);
      assert.ok(error instanceof RemoteEngineError, path);
      assert.match(error.message, new RegExp(`GET ${path}`), path);
      assert.ok(!everythingAnErrorShows(error).includes(host), `${path}: ${error.message}`);
    }
    const leaky = await client.probe('/leaky');
    assert.equal(leaky.reason, 'GET /leaky answered HTTP 500.', 'a health reason quotes no server text');
    const goneUrl = await closedPortUrl();
    const gone = make({ baseUrl: goneUrl });
    const health = await gone.probe('/echo');
    assert.ok(!(health.reason ?? '').includes(new URL(goneUrl).host), health.reason);
    gone.dispose();
  });

  void it('lets the adapter refine an HTTP error', async () => {
    const error = await rejectsWithKind(
      client.send({
        method: 'GET',
        path: '/400',
        signal: never,
        refineError: (failure) =>
          failure.remote.param === 'x'
            ? new EngineError('voice_not_found', failure.message, 'remote-test')
            : undefined,
      }),
      'voice_not_found',
    );
    assert.match(error.message, /HTTP 400/);
  });

  void it('maps a 404 to unavailable and a body that is not JSON to failed', async () => {
    const missing = await rejectsWithKind(
      client.send({ method: 'GET', path: '/nope', signal: never }),
      'unavailable',
    );
    assert.match(missing.message, /base_url/);
    await rejectsWithKind(client.sendJson({ method: 'GET', path: '/not-json', signal: never }), 'failed');
  });

  void it('times out a hanging server on time, closing the request, and never leaks the key', async () => {
    const cutBefore = server.cutOff;
    const started = performance.now();
    const error = await rejectsWithKind(
      client.send({ method: 'GET', path: '/hang', signal: never, timeoutMs: 300 }),
      'transient',
    );
    const elapsed = performance.now() - started;
    assert.match(error.message, /timed out/);
    assert.ok(elapsed >= 250 && elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
    await waitUntil(() => server.cutOff > cutBefore);
    assert.ok(!everythingAnErrorShows(error).includes(KEY));
  });

  void it('applies the deadline to a body that trickles in', async () => {
    const started = performance.now();
    const error = await rejectsWithKind(
      client.send({ method: 'GET', path: '/slow', signal: never, timeoutMs: 500 }),
      'transient',
    );
    assert.match(error.message, /timed out/);
    assert.ok(performance.now() - started < 1500);
  });

  void it('maps a connection reset and a refused connection to transient', async () => {
    const reset = await rejectsWithKind(
      client.send({ method: 'GET', path: '/reset', signal: never }),
      'transient',
    );
    assert.ok(!everythingAnErrorShows(reset).includes(KEY));
    const gone = make({ baseUrl: await closedPortUrl() });
    const refused = await rejectsWithKind(
      gone.send({ method: 'GET', path: '/echo', signal: never }),
      'transient',
    );
    assert.match(refused.message, /ECONNREFUSED/);
    const health = await gone.probe('/echo');
    assert.equal(health.available, false);
    assert.match(health.reason ?? '', /ECONNREFUSED/);
    gone.dispose();
  });

  void it('rejects an aborted signal at once and stops promptly on a mid-call abort', async () => {
    await rejectsWithKind(
      client.send({ method: 'GET', path: '/echo', signal: AbortSignal.abort() }),
      'aborted',
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await rejectsWithKind(
      client.send({ method: 'GET', path: '/hang', signal: controller.signal }),
      'aborted',
    );
    assert.ok(performance.now() - started < 500);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
