import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createUserWithKey, type SecuredGateway, startSecuredGateway } from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { requestJson, waitForVoices } from './support/test-gateway.js';

interface UsageRow {
  request_id: string;
  status: string;
  error_code: string | null;
  audio_seconds: number;
}

for (const database of ['postgres', 'embedded'] as const) {
  describe(`quota refusals are logged (${database})`, () => {
    let s: SecuredGateway;
    const admin = () => bearer(s.adminKey);
    const tts = (key: string, requestId: string, text: string) =>
      requestJson<{ metadata: { error_code: string | null } }>(`${s.t.url}/tts`, {
        method: 'POST',
        headers: { ...bearer(key), 'Content-Type': 'application/json', 'X-Request-ID': requestId },
        body: JSON.stringify({ text, response_format: 'json' }),
      });
    /** usage_logs read through the gateway's own connection (works for the embedded database too). */
    const usageRows = (userId: number) =>
      s.t.gateway.database.dataSource.query<UsageRow[]>(
        `SELECT request_id, status, error_code, audio_seconds::float8 AS audio_seconds
           FROM usage_logs WHERE user_id = $1 ORDER BY id`,
        [userId],
      );

    before(async () => {
      s = await startSecuredGateway({ database, config: ESPEAK_TEST_CONFIG });
      await waitForVoices(s.t.url, 'language=en-us', 1, admin());
    });
    after(() => s?.t.close());

    it('writes a QUOTA_EXCEEDED usage row (0 s) for a refused reservation and a refused cached answer', async () => {
      const rich = await createUserWithKey(s.t.url, s.adminKey, {
        email: 'rich@example.com',
        quota_seconds: 1000,
      });
      const poor = await createUserWithKey(s.t.url, s.adminKey, {
        email: 'poor@example.com',
        quota_seconds: 0.01,
      });
      const cached = 'This answer is in the cache.';
      assert.equal((await tts(rich.key, 'rich-1', cached)).status, 200);

      const refusedNew = await tts(poor.key, 'poor-new', 'An answer nobody has asked for yet.');
      const refusedCached = await tts(poor.key, 'poor-cached', cached);
      for (const refused of [refusedNew, refusedCached]) {
        assert.equal(refused.status, 429);
        assert.equal(refused.body.metadata.error_code, 'QUOTA_EXCEEDED');
      }

      assert.deepEqual(
        (await usageRows(poor.id)).map((row) => [
          row.request_id,
          row.status,
          row.error_code,
          row.audio_seconds,
        ]),
        [
          ['poor-new', 'error', 'QUOTA_EXCEEDED', 0],
          ['poor-cached', 'error', 'QUOTA_EXCEEDED', 0],
        ],
      );
      const user = await requestJson<{ data: { used_seconds: number } }>(
        `${s.t.url}/admin/users/${poor.id}`,
        {
          headers: admin(),
        },
      );
      assert.equal(user.body.data.used_seconds, 0);
      const usage = await requestJson<{ data: { users: Array<{ requests: number; failures: number }> } }>(
        `${s.t.url}/admin/usage?user_id=${poor.id}`,
        { headers: admin() },
      );
      assert.deepEqual(
        usage.body.data.users.map((u) => [u.requests, u.failures]),
        [[2, 2]],
      );
    });
  });
}
