import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
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
import { FakePusher } from './support/fake-pusher.js';
import { submitJob, waitForJob } from './support/jobs.js';
import { deepMerge, requestJson, waitFor, waitForVoices } from './support/test-gateway.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog near the quiet river bank. ';
const APP_ID = '4242';
const KEY = 'fake-app-key';
const SECRET = 'fake-app-secret-1';

describe('realtime job events on Pusher Channels', { timeout: 180_000 }, () => {
  let s: SecuredGateway;
  let user: TestUser;
  let other: TestUser;
  let pusher: FakePusher;
  let pusherPort: number;
  const pusherConfig = (secret: string) => ({
    app_id: APP_ID,
    key: KEY,
    secret,
    host: '127.0.0.1',
    port: pusherPort,
    use_tls: false,
  });
  const auth = (key: string | undefined, body: string | Record<string, string>) =>
    requestJson<{ auth?: string; metadata?: { error_code: string | null } }>(`${s.t.url}/pusher/auth`, {
      method: 'POST',
      headers: {
        ...(key ? bearer(key) : {}),
        'Content-Type': typeof body === 'string' ? 'application/x-www-form-urlencoded' : 'application/json',
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const patchConfig = (patch: Record<string, unknown>) =>
    requestJson(`${s.t.url}/config`, {
      method: 'PATCH',
      headers: { ...bearer(s.adminKey), 'Content-Type': 'application/json' },
      body: JSON.stringify(patch),
    });

  before(async () => {
    pusher = new FakePusher(APP_ID, KEY, SECRET);
    pusherPort = await pusher.start();
    s = await startSecuredGateway({
      config: deepMerge(ESPEAK_TEST_CONFIG, {
        rate_limits: { plans: { free: UNTHROTTLED_PLAN } },
        realtime: { pusher: pusherConfig(SECRET) },
      }),
    });
    await waitForVoices(s.t.url, 'language=en-us', 1, bearer(s.adminKey));
    user = await createUserWithKey(s.t.url, s.adminKey, { email: 'rt@example.com', quota_seconds: 100_000 });
    other = await createUserWithKey(s.t.url, s.adminKey, { email: 'rt-other@example.com' });
  });
  after(async () => {
    await s?.t.close();
    await pusher?.close();
  });

  it("publishes a TTS job's progress and completion, signed, on its owner's private channel", async () => {
    const submitted = await submitJob(s.t.url, user.key, {
      type: 'tts',
      input: { text: SENTENCE.repeat(40), response_format: 'mp3' },
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const id = submitted.body.data?.job_id ?? '';
    const job = await waitForJob(s.t.url, user.key, id);
    assert.equal(job.status, 'completed');
    const channel = `private-user-${user.id}`;
    const completed = await waitFor(
      () => pusher.on(channel, 'job.completed').find((e) => e.data['job_id'] === id),
      'job.completed on the channel',
    );
    assert.equal((completed.data['result'] as { file_id: string }).file_id, job.result?.file_id);
    assert.equal(completed.data['status'], 'completed');
    const progress = pusher.on(channel, 'job.progress').filter((e) => e.data['job_id'] === id);
    assert.ok(progress.length >= 1, `events: ${JSON.stringify(pusher.events.map((e) => e.name))}`);
    for (const event of progress) assert.equal(event.data['status'], 'running');
    const values = progress.map((e) => Number(e.data['progress']));
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
      'progress only grows',
    );
    // Completion is the last event of the job on the channel.
    const ofJob = pusher.on(channel).filter((e) => e.data['job_id'] === id);
    assert.equal(ofJob.at(-1)?.name, 'job.completed');
    assert.equal(pusher.on(`private-user-${other.id}`).length, 0, 'nothing on another user’s channel');
    assert.deepEqual(pusher.refused, [], 'every trigger carried a valid signature');
  });

  it('publishes job.cancelled when a queued-or-running job is cancelled', async () => {
    const submitted = await submitJob(s.t.url, user.key, {
      type: 'tts',
      input: { text: SENTENCE.repeat(400), response_format: 'mp3' },
    });
    const id = submitted.body.data?.job_id ?? '';
    const cancel = await requestJson(`${s.t.url}/jobs/${id}/cancel`, {
      method: 'POST',
      headers: bearer(user.key),
    });
    assert.ok(cancel.status < 300, JSON.stringify(cancel.body));
    await waitForJob(s.t.url, user.key, id);
    const event = await waitFor(
      () => pusher.on(`private-user-${user.id}`, 'job.cancelled').find((e) => e.data['job_id'] === id),
      'job.cancelled on the channel',
    );
    assert.equal(event.data['status'], 'cancelled');
  });

  it('signs a subscription to the caller’s own channel only (form and JSON bodies)', async () => {
    const channel = `private-user-${user.id}`;
    const expected = `${KEY}:${createHmac('sha256', SECRET).update(`1234.5678:${channel}`).digest('hex')}`;
    const form = await auth(user.key, `socket_id=1234.5678&channel_name=${encodeURIComponent(channel)}`);
    assert.equal(form.status, 200, JSON.stringify(form.body));
    assert.deepEqual(form.body, { auth: expected });
    const json = await auth(user.key, { socket_id: '1234.5678', channel_name: channel });
    assert.deepEqual(json.body, { auth: expected });

    const foreign = await auth(user.key, {
      socket_id: '1234.5678',
      channel_name: `private-user-${other.id}`,
    });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.metadata?.error_code, 'FORBIDDEN');
    const presence = await auth(user.key, { socket_id: '1234.5678', channel_name: 'private-everyone' });
    assert.equal(presence.status, 403);

    const bodies: Record<string, string>[] = [
      { socket_id: 'abc', channel_name: channel },
      { socket_id: '1.2', channel_name: 'private user' },
      { channel_name: channel },
      { socket_id: '1.2' },
    ];
    for (const bad of bodies) {
      const answer = await auth(user.key, bad);
      assert.equal(answer.status, 400, JSON.stringify(bad));
      assert.equal(answer.body.metadata?.error_code, 'VALIDATION_FAILED');
    }
    const bigForm = await auth(user.key, `socket_id=1.2&channel_name=${'a'.repeat(10_000)}`);
    assert.equal(bigForm.status, 400);
    const anonymous = await auth(undefined, { socket_id: '1234.5678', channel_name: channel });
    assert.equal(anonymous.status, 401);
  });

  it('redacts the secret in GET /config', async () => {
    const config = await requestJson<{ data: { realtime: { pusher: Record<string, unknown> } } }>(
      `${s.t.url}/config`,
      { headers: bearer(s.adminKey) },
    );
    assert.equal(config.status, 200);
    assert.notEqual(config.body.data.realtime.pusher['secret'], SECRET);
    assert.equal(config.body.data.realtime.pusher['key'], KEY);
    assert.ok(!JSON.stringify(config.body).includes(SECRET));
  });

  it('keeps a job running when Pusher fails, and follows config changes live', async () => {
    pusher.failWith = 500;
    const submitted = await submitJob(s.t.url, user.key, { type: 'tts', input: { text: SENTENCE } });
    const id = submitted.body.data?.job_id ?? '';
    assert.equal((await waitForJob(s.t.url, user.key, id)).status, 'completed');
    pusher.failWith = undefined;

    // A new secret: the client is rebuilt and signs with it, at once.
    const newSecret = 'fake-app-secret-2';
    pusher.secret = newSecret;
    assert.equal((await patchConfig({ realtime: { pusher: { secret: newSecret } } })).status, 200);
    const channel = `private-user-${user.id}`;
    const signed = await auth(user.key, { socket_id: '1.2', channel_name: channel });
    assert.deepEqual(signed.body, {
      auth: `${KEY}:${createHmac('sha256', newSecret).update(`1.2:${channel}`).digest('hex')}`,
    });
    const refusedBefore = pusher.refused.length;
    const next = (await submitJob(s.t.url, user.key, { type: 'tts', input: { text: SENTENCE } })).body.data
      ?.job_id;
    await waitFor(
      () => pusher.on(channel, 'job.completed').find((e) => e.data['job_id'] === next),
      'job.completed after the secret changed',
      30_000,
    );
    assert.equal(pusher.refused.length, refusedBefore);

    // Removed: no more events, and the signer answers 404 FEATURE_DISABLED.
    assert.equal((await patchConfig({ realtime: { pusher: null } })).status, 200);
    const off = await auth(user.key, { socket_id: '1.2', channel_name: channel });
    assert.equal(off.status, 404);
    assert.equal(off.body.metadata?.error_code, 'FEATURE_DISABLED');
    const count = pusher.events.length;
    const quiet = (await submitJob(s.t.url, user.key, { type: 'tts', input: { text: SENTENCE } })).body.data
      ?.job_id;
    assert.equal((await waitForJob(s.t.url, user.key, quiet ?? '')).status, 'completed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(pusher.events.length, count);
  });
});
