import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { bearer, createUserWithKey, type SecuredGateway, startSecuredGateway } from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { requestJson, waitForVoices } from './support/test-gateway.js';

const TEXT = 'The quota race sentence.';
const REQUESTS = 500;

/** A remote engine that lists itself healthy and fails every synthesis with a 500. */
async function startFailingUpstream(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"object":"list","data":[]}');
      return;
    }
    req.resume();
    res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"error":{"message":"boom"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface UserView {
  used_seconds: number;
  quota_seconds: number;
}

for (const database of ['postgres', 'embedded'] as const) {
  describe(`quota under ${REQUESTS} concurrent requests (${database})`, () => {
    let s: SecuredGateway;
    let upstream: { url: string; server: Server };
    const admin = () => bearer(s.adminKey);
    const getUser = async (id: number) =>
      (await requestJson<{ data: UserView }>(`${s.t.url}/admin/users/${id}`, { headers: admin() })).body.data;
    const tts = (key: string, body: Record<string, unknown>) =>
      fetch(`${s.t.url}/tts`, {
        method: 'POST',
        headers: { ...bearer(key), 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, body: await res.json().catch((): unknown => null) }));

    before(async () => {
      upstream = await startFailingUpstream();
      s = await startSecuredGateway({
        database,
        config: {
          ...ESPEAK_TEST_CONFIG,
          middleware: { logging: { log_level: 'info' } },
          engines: {
            tts: [
              ...ESPEAK_TEST_CONFIG.engines.tts,
              {
                id: 'broken',
                type: 'openai',
                options: { base_url: `${upstream.url}/v1`, voices: ['broken-voice'] },
              },
            ],
          },
          resilience: { retry: { max_attempts: 1 }, circuit_breaker: { failure_threshold: 1000 } },
          rate_limits: {
            plans: {
              free: {},
              race: { requests_per_minute: 100000, burst_per_second: 100000, max_concurrent_requests: 1000 },
            },
          },
        },
      });
      await waitForVoices(s.t.url, 'engine=broken', 1, admin());
    });
    after(async () => {
      await s?.t.close();
      upstream?.server.close();
    });

    it('charges at most the quota and serves exactly what it affords', async () => {
      // One cached answer of known length: every later request costs exactly its seconds.
      const probe = await createUserWithKey(s.t.url, s.adminKey, {
        email: 'probe@example.com',
        plan: 'race',
      });
      assert.equal((await tts(probe.key, { text: TEXT })).status, 200);
      assert.equal((await tts(probe.key, { text: TEXT })).status, 200);
      const perRequestMs = Math.round(((await getUser(probe.id)).used_seconds * 1000) / 2);
      assert.ok(perRequestMs > 500, `a cached answer costs ${perRequestMs} ms`);

      const quotaMs = perRequestMs * 100 + Math.floor(perRequestMs / 2);
      const racer = await createUserWithKey(s.t.url, s.adminKey, {
        email: 'racer@example.com',
        plan: 'race',
        quota_seconds: quotaMs / 1000,
      });
      const answers = await Promise.all(
        Array.from({ length: REQUESTS }, () => tts(racer.key, { text: TEXT })),
      );
      const served = answers.filter((a) => a.status === 200).length;
      const refused = answers.filter((a) => a.status === 429);
      assert.equal(
        served + refused.length,
        REQUESTS,
        `statuses: ${[...new Set(answers.map((a) => a.status))].join(',')}`,
      );
      for (const answer of refused) {
        assert.equal(
          (answer.body as { metadata: { error_code: string } }).metadata.error_code,
          'QUOTA_EXCEEDED',
        );
      }
      const affordable = Math.floor(quotaMs / perRequestMs);
      assert.equal(served, affordable);
      const user = await getUser(racer.id);
      assert.ok(user.used_seconds <= user.quota_seconds, `${user.used_seconds} > ${user.quota_seconds}`);
      assert.equal(Math.round(user.used_seconds * 1000), served * perRequestMs);
    });

    it('charges nothing for failed engine calls', async () => {
      const unlucky = await createUserWithKey(s.t.url, s.adminKey, {
        email: 'unlucky@example.com',
        plan: 'race',
        // Each request holds its text's upper bound (~11 s) while it runs: room for all 20 at once.
        quota_seconds: 1000,
      });
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          tts(unlucky.key, { text: `Failing call ${i}.`, voice: 'broken-voice' }),
        ),
      );
      for (const answer of answers) assert.equal(answer.status, 502, JSON.stringify(answer.body));
      assert.equal((await getUser(unlucky.id)).used_seconds, 0);
      const usage = await requestJson<{
        data: { users: Array<{ requests: number; failures: number; audio_seconds: number }> };
      }>(`${s.t.url}/admin/usage?user_id=${unlucky.id}`, { headers: admin() });
      assert.deepEqual(
        usage.body.data.users.map((u) => [u.requests, u.failures, u.audio_seconds]),
        [[20, 20, 0]],
      );
    });
  });
}
