import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  type TestUser,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { requestJson, TEST_DATABASE_URL, waitFor, waitForVoices } from './support/test-gateway.js';

/**
 * A TCP proxy in front of the test PostgreSQL that the test can cut and restore: the
 * database becomes unreachable for this gateway only (the machine's server keeps running).
 */
class DatabaseProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 5432), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops listening and cuts every connection: the database is gone for the gateway. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  url(): string {
    const url = new URL(this.target);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }
}

interface Envelope {
  status: string;
  metadata: { error_code: string | null };
}

describe('an unreachable database', () => {
  const proxy = new DatabaseProxy(new URL(TEST_DATABASE_URL));
  let s: SecuredGateway;
  let user: TestUser;
  const tts = (path: string, body: Record<string, unknown>) =>
    requestJson<Envelope & { error?: { code: string; type: string } }>(`${s.t.url}${path}`, {
      method: 'POST',
      headers: { ...bearer(user.key), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  before(async () => {
    await proxy.open();
    s = await startSecuredGateway({
      config: {
        ...ESPEAK_TEST_CONFIG,
        // Short waits so that a request fails fast once the proxy is gone.
        database: { url: proxy.url(), pool: { max: 3, connection_timeout_ms: 2000 } },
        rate_limits: { plans: { free: UNTHROTTLED_PLAN } },
      },
    });
    await waitForVoices(s.t.url, 'language=en-us', 1, bearer(s.adminKey));
    user = await createUserWithKey(s.t.url, s.adminKey, { email: 'db-down@example.com', quota_seconds: 100 });
  });
  after(async () => {
    await proxy.open(); // the gateway closes against a reachable database
    await s?.t.close();
    await proxy.cut();
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After, never 500, and recovers', async () => {
    assert.equal((await tts('/tts', { text: 'Before the outage.', response_format: 'json' })).status, 200);

    await proxy.cut();
    const native = await tts('/tts', { text: 'During the outage.', response_format: 'json' });
    assert.equal(native.status, 503, JSON.stringify(native.body));
    assert.equal(native.body.metadata.error_code, 'DATABASE_UNAVAILABLE');
    assert.ok(Number(native.headers.get('retry-after')) > 0, 'Retry-After');

    const openAi = await tts('/v1/audio/speech', {
      model: 'tts-1',
      input: 'During the outage.',
      voice: 'alloy',
    });
    assert.equal(openAi.status, 503, JSON.stringify(openAi.body));
    assert.equal(openAi.body.error?.code, 'database_unavailable');
    assert.ok(Number(openAi.headers.get('retry-after')) > 0, 'Retry-After on /v1');

    const adminList = await requestJson<Envelope>(`${s.t.url}/admin/users`, { headers: bearer(s.adminKey) });
    assert.equal(adminList.status, 503);
    assert.equal(adminList.body.metadata.error_code, 'DATABASE_UNAVAILABLE');

    const ready = await requestJson<Envelope>(`${s.t.url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.ok(Number(ready.headers.get('retry-after')) > 0, 'Retry-After on readiness');

    const logged = s.t.logs.filter((line) => line['msg'] === 'unhandled error');
    assert.deepEqual(logged, [], 'no request was treated as a server bug');

    await proxy.open();
    await waitFor(
      async () => (await tts('/tts', { text: 'After the outage.', response_format: 'json' })).status === 200,
      'the gateway to serve again once the database is back',
      30_000,
    );
  });
});
