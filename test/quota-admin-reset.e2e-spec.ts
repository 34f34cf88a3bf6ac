import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MeteringService } from '../src/accounts/metering.service.js';
import { AppError } from '../src/common/app-error.js';
import { RequestContextStore } from '../src/common/request-context.js';
import { bearer, createUserWithKey, type SecuredGateway, startSecuredGateway } from './support/accounts.js';
import { requestJson } from './support/test-gateway.js';

/*
 * An admin resetting a user's used seconds (a new billing period) while requests run: the
 * seconds those requests hold stay on top of the new figure, so their later release cannot
 * give back seconds that were never counted, and the quota cannot be spent twice.
 */
describe('an admin reset of used seconds during a running request', () => {
  let s: SecuredGateway;
  before(async () => {
    s = await startSecuredGateway();
  });
  after(() => s.t.close());

  it('keeps the running reservation counted, and its release ends at the reset value', async () => {
    const user = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'reset@example.com',
      plan: 'pro',
      quota_seconds: 100,
    });
    const admin = { ...bearer(s.adminKey), 'Content-Type': 'application/json' };
    const usedSeconds = async () =>
      (
        await requestJson<{ data: { used_seconds: number } }>(`${s.t.url}/admin/users/${user.id}`, {
          headers: bearer(s.adminKey),
        })
      ).body.data.used_seconds;
    const metering = s.t.gateway.app.get(MeteringService);
    const context = {
      requestId: 'running-request',
      startedAt: process.hrtime.bigint(),
      endpoint: '/tts',
      account: { userId: user.id, keyId: null, plan: 'pro', isAdmin: false, scopes: ['tts'] as const },
    };
    await RequestContextStore.run(context, async () => {
      const call = await metering.begin({ estimateSeconds: 60 });
      assert.equal(await usedSeconds(), 60);
      const reset = await requestJson(`${s.t.url}/admin/users/${user.id}`, {
        method: 'PATCH',
        headers: admin,
        body: JSON.stringify({ used_seconds: 0 }),
      });
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      assert.equal(await usedSeconds(), 60, 'the running request still holds its 60 s');
      await call.fail(new AppError('ENGINE_FAILED', 'failed'));
    });
    assert.equal(await usedSeconds(), 0);
  });
});
