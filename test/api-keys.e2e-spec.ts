import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import request from 'supertest';
import { composeApiKey, generateApiKey } from '../src/accounts/api-key-format.js';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { TEST_DATABASE_URL, waitFor, waitForVoices } from './support/test-gateway.js';

const INVALID = 'The API key is missing, invalid, expired or revoked.';

describe('API keys, scopes and admin access', () => {
  let s: SecuredGateway;
  const issued: string[] = [];
  const admin = () => bearer(s.adminKey);

  async function userKey(
    email: string,
    extra: { plan?: string; quota_seconds?: number; scopes?: string[] } = {},
  ) {
    const user = await createUserWithKey(s.t.url, s.adminKey, { email, ...extra });
    issued.push(user.key);
    return user;
  }

  async function table<T>(sql: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`SET search_path = "${s.t.schema}"`);
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }

  before(async () => {
    s = await startSecuredGateway({
      config: {
        ...ESPEAK_TEST_CONFIG,
        rate_limits: {
          plans: {
            free: {
              burst_per_second: 100,
              requests_per_minute: 1000,
              streaming_allowed: false,
              max_text_length: 1000,
            },
            pro: UNTHROTTLED_PLAN,
            solo: { ...UNTHROTTLED_PLAN, max_concurrent_requests: 1 },
          },
        },
      },
    });
    issued.push(s.adminKey);
    await waitForVoices(s.t.url, 'language=en-us', 1, admin());
  });
  after(() => s.t.close());

  it('keeps health public and everything else behind a key', async () => {
    await request(s.t.url).get('/health').expect(200);
    const res = await request(s.t.url).get('/tts/voices').expect(401);
    assert.equal(res.body.metadata.error_code, 'INVALID_API_KEY');
    assert.equal(res.headers['www-authenticate'], 'Bearer');
  });

  it('stores only a SHA-256 hash of each key', async () => {
    const user = await userKey('hash@example.com');
    const rows = await table<Record<string, unknown>>(`SELECT * FROM api_keys`);
    assert.ok(rows.length >= 2);
    const dump = JSON.stringify(rows);
    for (const key of [user.key, s.adminKey]) {
      assert.ok(!dump.includes(key.slice(17, 60)), 'no part of the secret is stored');
    }
    const row = rows.find((r) => r['key_id'] === user.keyId);
    assert.deepEqual(row?.['key_hash'], createHash('sha256').update(user.key).digest());
    assert.deepEqual(Object.keys(row ?? {}).sort(), [
      'created_at',
      'expires_at',
      'id',
      'key_hash',
      'key_id',
      'last_used_at',
      'name',
      'revoked_at',
      'scopes',
      'user_id',
    ]);
  });

  it('answers the same 401 for malformed, unknown, wrong-secret, revoked, expired keys and inactive users', async () => {
    const user = await userKey('refused@example.com');
    await request(s.t.url).get('/tts/voices').set(bearer(user.key)).expect(200);

    const revoked = await createUserWithKey(s.t.url, s.adminKey, { email: 'revoked@example.com' });
    await request(s.t.url)
      .delete(`/admin/users/${revoked.id}/keys/${revoked.keyId}`)
      .set(admin())
      .expect(200);

    const expiredAnswer = await request(s.t.url)
      .post(`/admin/users/${user.id}/keys`)
      .set(admin())
      .send({ name: 'old', expires_at: new Date(Date.now() - 1000).toISOString() })
      .expect(201);

    const inactive = await createUserWithKey(s.t.url, s.adminKey, { email: 'inactive@example.com' });
    await request(s.t.url).delete(`/admin/users/${inactive.id}`).set(admin()).expect(200);

    const refused: Array<[string, string]> = [
      ['malformed', 'Bearer not-a-key'],
      ['not bearer', `Basic ${user.key}`],
      ['bad checksum', `Bearer ${user.key.slice(0, -1)}${user.key.endsWith('a') ? 'b' : 'a'}`],
      ['unknown id', `Bearer ${generateApiKey().token}`],
      ['wrong secret', `Bearer ${composeApiKey(user.keyId)}`],
      ['revoked', `Bearer ${revoked.key}`],
      ['expired', `Bearer ${(expiredAnswer.body as { data: { api_key: string } }).data.api_key}`],
      ['inactive user', `Bearer ${inactive.key}`],
    ];
    for (const [what, header] of refused) {
      const res = await request(s.t.url).get('/tts/voices').set('Authorization', header);
      assert.equal(res.status, 401, what);
      assert.equal(res.body.metadata.error_code, 'INVALID_API_KEY', what);
      assert.equal(res.body.message, INVALID, what);
    }
  });

  it('refuses a non-admin key on every admin and operator route with 403', async () => {
    const user = await userKey('plain@example.com');
    const routes: Array<[string, string, object?]> = [
      ['get', '/admin/users'],
      ['get', '/admin/usage'],
      ['post', '/admin/voices', {}],
      ['get', '/config'],
      ['patch', '/config', {}],
      ['post', '/save_settings', {}],
      ['post', '/circuit-breakers/espeak/reset'],
      ['post', '/resilience/config', {}],
      ['get', '/rate-limit/config'],
      ['get', `/rate-limit/usage/user:${user.id}`],
      ['post', `/rate-limit/reset/user:${user.id}`],
    ];
    for (const [method, path, body] of routes) {
      const call = request(s.t.url)[method as 'get'](path).set(bearer(user.key));
      const res = await (body ? call.send(body) : call);
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.metadata.error_code, 'FORBIDDEN');
    }
    await request(s.t.url).get('/admin/users').set(admin()).expect(200);
    await request(s.t.url).get('/rate-limit/config').set(admin()).expect(200);
  });

  it('refuses a key used outside its scopes with 403 INSUFFICIENT_SCOPE', async () => {
    const sttOnly = await userKey('stt-only@example.com', { scopes: ['stt'] });
    const tts = await request(s.t.url)
      .post('/tts')
      .set(bearer(sttOnly.key))
      .send({ text: 'Hi.' })
      .expect(403);
    assert.equal(tts.body.metadata.error_code, 'INSUFFICIENT_SCOPE');
    const openai = await request(s.t.url)
      .post('/v1/audio/speech')
      .set(bearer(sttOnly.key))
      .send({ model: 'tts-1', input: 'Hi.', voice: 'alloy' })
      .expect(403);
    assert.equal(openai.body.error.code, 'insufficient_scope');
    const ttsOnly = await userKey('tts-only@example.com', { scopes: ['tts'] });
    const files = await request(s.t.url).get('/files/outputs').set(bearer(ttsOnly.key)).expect(403);
    assert.equal(files.body.metadata.error_code, 'INSUFFICIENT_SCOPE');
    await request(s.t.url).get('/tts/voices').set(bearer(ttsOnly.key)).expect(200);
    // Only admin users may hold the admin scope.
    const refused = await request(s.t.url)
      .post(`/admin/users/${ttsOnly.id}/keys`)
      .set(admin())
      .send({ scopes: ['admin'] })
      .expect(400);
    assert.equal(refused.body.metadata.error_code, 'VALIDATION_FAILED');
  });

  it('keeps a rotated key working for the grace period, and not after', async () => {
    const user = await userKey('rotate@example.com');
    const rotated = await request(s.t.url)
      .post(`/admin/users/${user.id}/keys/${user.keyId}/rotate`)
      .set(admin())
      .send({ grace_hours: 1 })
      .expect(200);
    const successor = (rotated.body as { data: { api_key: string; key_id: string } }).data;
    issued.push(successor.api_key);
    await request(s.t.url).get('/tts/voices').set(bearer(user.key)).expect(200);
    await request(s.t.url).get('/tts/voices').set(bearer(successor.api_key)).expect(200);

    const again = await request(s.t.url)
      .post(`/admin/users/${user.id}/keys/${successor.key_id}/rotate`)
      .set(admin())
      .send({ grace_hours: 0 })
      .expect(200);
    issued.push((again.body as { data: { api_key: string } }).data.api_key);
    await request(s.t.url).get('/tts/voices').set(bearer(successor.api_key)).expect(401);
    await request(s.t.url)
      .get('/tts/voices')
      .set(bearer((again.body as { data: { api_key: string } }).data.api_key))
      .expect(200);
    const listed = await request(s.t.url).get(`/admin/users/${user.id}/keys`).set(admin()).expect(200);
    const keys = (listed.body as { data: { keys: Array<Record<string, unknown>> } }).data.keys;
    assert.equal(keys.length, 3);
    assert.ok(
      keys.every((k) => !('api_key' in k) && !('key_hash' in k)),
      'listings carry no secret',
    );
  });

  it('meters TTS: X-Quota-Remaining, remaining_quota and one usage row written with the charge', async () => {
    const user = await userKey('metered@example.com', { plan: 'pro', quota_seconds: 100 });
    const res = await request(s.t.url)
      .post('/tts')
      .set(bearer(user.key))
      .set('Accept', 'application/json')
      .set('X-Request-ID', 'metered-1')
      .send({ text: 'Metered speech for the quota test.' })
      .expect(200);
    const data = (res.body as { data: { remaining_quota: number; duration_seconds: number } }).data;
    assert.ok(data.remaining_quota < 100 && data.remaining_quota > 90, String(data.remaining_quota));
    assert.equal(Number(res.headers['x-quota-remaining']), data.remaining_quota);
    assert.ok(
      Math.abs(100 - data.remaining_quota - data.duration_seconds) < 0.01,
      'charged the audio seconds',
    );

    const audio = await request(s.t.url)
      .post('/tts')
      .set(bearer(user.key))
      .send({ text: 'Audio answer.' })
      .expect(200);
    assert.ok(Number(audio.headers['x-quota-remaining']) < data.remaining_quota);

    const rows = await table<Record<string, unknown>>(
      `SELECT * FROM usage_logs WHERE user_id = ${user.id} ORDER BY id`,
    );
    assert.equal(rows.length, 2);
    assert.equal(rows[0]['status'], 'success');
    assert.equal(rows[0]['key_id'], user.keyId);
    assert.equal(rows[0]['request_id'], 'metered-1');
    assert.equal(rows[0]['endpoint'], '/tts');
    assert.equal(rows[0]['engine'], 'espeak');
    assert.equal(rows[0]['voice'], 'en-us');
    assert.equal(Number(rows[0]['text_length']), 'Metered speech for the quota test.'.length);
    const [users] = await table<{ used_seconds: string }>(
      `SELECT used_seconds FROM users WHERE id = ${user.id}`,
    );
    const logged = rows.reduce((sum, row) => sum + Number(row['audio_seconds']), 0);
    assert.ok(Math.abs(Number(users.used_seconds) - logged) < 0.002);

    const principal = await waitFor(async () => {
      const events = await table<{ principal: string }>(
        `SELECT principal FROM analytics_events WHERE request_id = 'metered-1'`,
      );
      return events[0]?.principal;
    }, 'the analytics row');
    assert.equal(principal, `user:${user.id}`);

    const usage = await request(s.t.url).get(`/admin/usage?user_id=${user.id}`).set(admin()).expect(200);
    const summary = (usage.body as { data: { users: Array<{ requests: number; audio_seconds: number }> } })
      .data.users;
    assert.equal(summary.length, 1);
    assert.equal(summary[0].requests, 2);
    assert.ok(Math.abs(summary[0].audio_seconds - logged) < 0.002);
  });

  it('answers 429 QUOTA_EXCEEDED with the remaining seconds and charges nothing', async () => {
    const user = await userKey('poor@example.com', { plan: 'pro', quota_seconds: 0.5 });
    const res = await request(s.t.url)
      .post('/tts')
      .set(bearer(user.key))
      .send({ text: 'This sentence needs more than half a second of audio to be spoken.' })
      .expect(429);
    assert.equal(res.body.metadata.error_code, 'QUOTA_EXCEEDED');
    assert.equal(res.body.data.remaining_seconds, 0.5);
    assert.equal(res.headers['x-quota-remaining'], '0.5');
    const got = await request(s.t.url).get(`/admin/users/${user.id}`).set(admin()).expect(200);
    assert.equal(got.body.data.used_seconds, 0);
  });

  it('lets one user run only max_concurrent_requests at once (429 CONCURRENCY_LIMITED)', async () => {
    const solo = await userKey('solo@example.com', { plan: 'solo', quota_seconds: 1000 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        request(s.t.url)
          .post('/tts')
          .set(bearer(solo.key))
          .send({ text: `Request ${i} of the fair share test. `.repeat(12) }),
      ),
    );
    const limited = answers.filter((res) => res.status === 429);
    assert.ok(
      answers.some((res) => res.status === 200),
      answers.map((r) => r.status).join(','),
    );
    assert.ok(limited.length >= 1, answers.map((r) => r.status).join(','));
    assert.equal(limited.length + answers.filter((res) => res.status === 200).length, 6);
    for (const res of limited) assert.equal(res.body.metadata.error_code, 'CONCURRENCY_LIMITED');
    // Another user is not held back by this one.
    const other = await userKey('not-solo@example.com', { plan: 'solo', quota_seconds: 100 });
    await request(s.t.url).post('/tts').set(bearer(other.key)).send({ text: 'Mine.' }).expect(200);
  });

  it('charges a stream the client abandons only for the audio it was sent', async () => {
    const user = await userKey('leaver@example.com', { plan: 'pro', quota_seconds: 1000 });
    const controller = new AbortController();
    const response = await fetch(`${s.t.url}/tts`, {
      method: 'POST',
      headers: { ...bearer(user.key), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        text: 'A long passage that the client will not wait for. '.repeat(60),
        stream: true,
      }),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.ok(Number(response.headers.get('x-quota-remaining')) < 1000, 'the estimate was reserved');
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    const rows = await waitFor(async () => {
      const logged = await table<{ status: string; error_code: string; audio_seconds: string }>(
        `SELECT status, error_code, audio_seconds FROM usage_logs WHERE user_id = ${user.id}`,
      );
      return logged.length > 0 ? logged : undefined;
    }, 'the abandoned stream to be settled');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.status, 'error');
    assert.equal(rows[0]?.error_code, 'REQUEST_CANCELLED');
    const sent = Number(rows[0]?.audio_seconds);
    // The first sentence or so left before the client went: that, not the whole text, is paid.
    assert.ok(sent > 0 && sent < 60, `charged ${sent} s for an abandoned stream`);
    const [row] = await table<{ used_seconds: string }>(
      `SELECT used_seconds FROM users WHERE id = ${user.id}`,
    );
    assert.equal(Number(row.used_seconds), sent);
  });

  it('gates plan features with 403 PLAN_FEATURE_DISABLED', async () => {
    const free = await userKey('free@example.com', { plan: 'free' });
    const stream = await request(s.t.url)
      .post('/tts')
      .set(bearer(free.key))
      .send({ text: 'Streamed.', stream: true })
      .expect(403);
    assert.equal(stream.body.metadata.error_code, 'PLAN_FEATURE_DISABLED');
    assert.equal(stream.body.data.feature, 'streaming');
    const long = await request(s.t.url)
      .post('/tts')
      .set(bearer(free.key))
      .send({ text: 'word '.repeat(250) })
      .expect(403);
    assert.equal(long.body.data.feature, 'max_text_length');
    await request(s.t.url).post('/tts').set(bearer(free.key)).send({ text: 'Short.' }).expect(200);
  });

  it('answers bad admin input and filters with 400 or 409, never 500', async () => {
    const cases: Array<[string, string, object | undefined, number]> = [
      ['post', '/admin/users', { name: 'x', email: 'not-an-email' }, 400],
      ['post', '/admin/users', { name: 'x', email: 'x@example.com', plan: 'nope' }, 400],
      ['post', '/admin/users', { name: 'x', email: 'x@example.com', quota_seconds: -1 }, 400],
      ['get', '/admin/usage?user_id=1;DROP TABLE users', undefined, 400],
      ['get', "/admin/usage?from=yesterday'--", undefined, 400],
      ['get', '/admin/usage?from=2030-01-01&to=2020-01-01', undefined, 400],
      ['get', '/admin/users/abc', undefined, 400],
      ['get', '/admin/users/999999', undefined, 404],
      ['get', "/rate-limit/usage/x' OR 1=1", undefined, 400],
      [
        'post',
        '/admin/voices',
        { friendly_name: "a'; --", engine: 'espeak', engine_voice_id: 'x', language: 'en' },
        400,
      ],
    ];
    for (const [method, path, body, status] of cases) {
      const call = request(s.t.url)[method as 'get'](path).set(admin());
      const res = await (body ? call.send(body) : call);
      assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.metadata.error_code);
    }
    await request(s.t.url)
      .post('/admin/users')
      .set(admin())
      .send({ name: 'd', email: 'dup@example.com' })
      .expect(201);
    const dup = await request(s.t.url)
      .post('/admin/users')
      .set(admin())
      .send({ name: 'd', email: 'DUP@example.com' })
      .expect(409);
    assert.equal(dup.body.metadata.error_code, 'CONFLICT');
    const users = await table<{ n: number }>(`SELECT count(*)::int AS n FROM users`);
    assert.ok(users[0].n > 1, 'the users table is intact');
  });

  it('changes plan and quota, and used seconds never exceed a lowered quota', async () => {
    const user = await userKey('plan-change@example.com', { plan: 'pro', quota_seconds: 100 });
    await request(s.t.url)
      .patch(`/admin/users/${user.id}`)
      .set(admin())
      .send({ used_seconds: 80 })
      .expect(200);
    const lowered = await request(s.t.url)
      .patch(`/admin/users/${user.id}`)
      .set(admin())
      .send({ plan: 'free', quota_seconds: 50 })
      .expect(200);
    assert.equal(lowered.body.data.plan, 'free');
    assert.equal(lowered.body.data.quota_seconds, 50);
    assert.equal(lowered.body.data.used_seconds, 50);
  });

  it('creates, updates and deactivates voices through /admin/voices', async () => {
    await request(s.t.url)
      .post('/admin/voices')
      .set(admin())
      .send({
        friendly_name: 'narrator',
        engine: 'minimax',
        engine_voice_id: 'm-101',
        language: 'en-GB',
        gender: 'male',
      })
      .expect(201);
    const listed = await request(s.t.url).get('/tts/voices?language=en-gb').set(admin()).expect(200);
    const narrator = listed.body.data.voices.find((v: { name: string }) => v.name === 'narrator');
    assert.equal(narrator?.engine_voice_id, 'm-101');
    const updated = await request(s.t.url)
      .patch('/admin/voices/narrator')
      .set(admin())
      .send({ gender: 'female' })
      .expect(200);
    assert.equal(updated.body.data.gender, 'female');
    await request(s.t.url).delete('/admin/voices/narrator').set(admin()).expect(200);
    const after = await request(s.t.url).get('/tts/voices?language=en-gb').set(admin()).expect(200);
    assert.ok(!after.body.data.voices.some((v: { name: string }) => v.name === 'narrator'));
    // A seeded voice edited by the admin API; one engine voice keeps one friendly name.
    const described = await request(s.t.url)
      .patch('/admin/voices/en-gb')
      .set(admin())
      .send({ description: 'British English' })
      .expect(200);
    assert.equal(described.body.data.description, 'British English');
    const clash = await request(s.t.url)
      .patch('/admin/voices/en-gb')
      .set(admin())
      .send({ engine_voice_id: 'en-us' })
      .expect(409);
    assert.equal(clash.body.metadata.error_code, 'CONFLICT');
    const taken = await request(s.t.url)
      .post('/admin/voices')
      .set(admin())
      .send({ friendly_name: 'en-us', engine: 'minimax', engine_voice_id: 'zz', language: 'en' })
      .expect(409);
    assert.equal(taken.body.metadata.error_code, 'CONFLICT');
    await request(s.t.url).patch('/admin/voices/nobody').set(admin()).send({ gender: 'male' }).expect(404);
  });

  it('writes no key secret to the log of the whole run', () => {
    assert.ok(issued.length >= 8);
    const log = s.t.rawLogs.join('\n');
    assert.ok(log.length > 1000);
    for (const key of issued) assert.ok(!log.includes(key.slice(17)), 'a key secret reached the log');
  });
});
