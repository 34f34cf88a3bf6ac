import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import {
  bearer,
  createUserWithKey,
  startSecuredGateway,
  type SecuredGateway,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { deepMerge, waitForVoices } from './support/test-gateway.js';

describe('GET /me', () => {
  let s: SecuredGateway;

  before(async () => {
    s = await startSecuredGateway({
      config: deepMerge(ESPEAK_TEST_CONFIG, {
        rate_limits: { plans: { free: UNTHROTTLED_PLAN, pro: { ...UNTHROTTLED_PLAN, quota_seconds: 500 } } },
      }),
    });
    await waitForVoices(s.t.url, 'language=en-us', 1, bearer(s.adminKey));
  });
  after(() => s.t.close());

  it('tells a key its user, effective scopes, plan limits and quota', async () => {
    const user = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'me@example.com',
      plan: 'pro',
      scopes: ['tts'],
    });
    const res = await request(s.t.url).get('/me').set(bearer(user.key)).expect(200);
    const me = res.body.data;
    assert.equal(me.user.email, 'me@example.com');
    assert.equal(me.user.is_admin, false);
    assert.equal(me.key.key_id, user.keyId);
    assert.deepEqual(me.scopes, ['tts']);
    assert.equal(me.plan.name, 'pro');
    assert.equal(me.plan.requests_per_minute, UNTHROTTLED_PLAN.requests_per_minute);
    assert.deepEqual(me.quota, { quota_seconds: 500, used_seconds: 0, remaining_seconds: 500 });
  });

  it('adds ops to an admin key’s scopes, as the guard does', async () => {
    const res = await request(s.t.url).get('/me').set(bearer(s.adminKey)).expect(200);
    assert.ok(res.body.data.scopes.includes('admin'));
    assert.ok(res.body.data.scopes.includes('ops'));
  });

  it('lists the caller’s own latest metered requests, newest first, and charges show in the quota', async () => {
    const user = await createUserWithKey(s.t.url, s.adminKey, { email: 'usage@example.com', plan: 'pro' });
    const other = await createUserWithKey(s.t.url, s.adminKey, { email: 'other@example.com', plan: 'pro' });
    for (const text of ['first words', 'second words'])
      await request(s.t.url).post('/tts').set(bearer(user.key)).send({ text, voice: 'en-us' }).expect(200);
    await request(s.t.url).post('/tts').set(bearer(other.key)).send({ text: 'not mine' }).expect(200);
    const res = await request(s.t.url).get('/me/usage?limit=5').set(bearer(user.key)).expect(200);
    const rows = res.body.data.usage;
    assert.equal(rows.length, 2);
    assert.ok(rows.every((row: { endpoint: string; status: string }) => row.endpoint.includes('tts')));
    assert.ok(rows[0].created_at >= rows[1].created_at);
    assert.ok(rows[0].audio_seconds > 0);
    const me = (await request(s.t.url).get('/me').set(bearer(user.key)).expect(200)).body.data;
    assert.ok(me.quota.used_seconds > 0);
    assert.equal(me.quota.remaining_seconds, Math.round((500 - me.quota.used_seconds) * 1000) / 1000);
  });

  it('refuses a missing key and a bad limit', async () => {
    const missing = await request(s.t.url).get('/me').expect(401);
    assert.equal(missing.body.metadata.error_code, 'INVALID_API_KEY');
    const bad = await request(s.t.url).get('/me/usage?limit=0').set(bearer(s.adminKey)).expect(400);
    assert.equal(bad.body.metadata.error_code, 'VALIDATION_FAILED');
  });
});
