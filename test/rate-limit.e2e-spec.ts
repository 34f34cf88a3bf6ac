import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { bearer, createUserWithKey, type SecuredGateway, startSecuredGateway } from './support/accounts.js';
import {
  dropSchema,
  freePort,
  newSchemaName,
  startTestGateway,
  type TestGateway,
  waitFor,
} from './support/test-gateway.js';

const SHARED_REDIS = 'redis://127.0.0.1:6379';

function limitsConfig(redisUrl: string, prefix: string): Record<string, unknown> {
  return {
    auth: { enforce: true },
    rate_limits: {
      store: 'redis',
      redis_url: redisUrl,
      redis_key_prefix: prefix,
      plans: {
        free: { requests_per_minute: 10, burst_per_second: 100 },
        operator: { requests_per_minute: 100000, burst_per_second: 100000 },
      },
    },
  };
}

describe('per-plan rate limits shared by two nodes through Redis', () => {
  const schema = newSchemaName();
  const prefix = `sg-test-${randomBytes(4).toString('hex')}:`;
  let a: SecuredGateway;
  let b: TestGateway;
  const admin = () => bearer(a.adminKey);

  before(async () => {
    a = await startSecuredGateway({ schema, config: limitsConfig(SHARED_REDIS, prefix) });
    b = await startTestGateway({ schema, config: limitsConfig(SHARED_REDIS, prefix) });
  });
  after(async () => {
    await a?.t.close();
    await b?.close();
    await dropSchema(schema);
  });

  it('lets exactly 10 of 15 requests of a free user through across both nodes', async () => {
    const user = await createUserWithKey(a.t.url, a.adminKey, { email: 'free@example.com', plan: 'free' });
    const answers = [];
    for (let i = 0; i < 15; i++) {
      answers.push(
        await request(i % 2 === 0 ? a.t.url : b.url)
          .get('/tts/voices')
          .set(bearer(user.key)),
      );
    }
    const served = answers.filter((res) => res.status === 200);
    const limited = answers.filter((res) => res.status === 429);
    assert.equal(served.length, 10, answers.map((res) => res.status).join(','));
    assert.equal(limited.length, 5);
    assert.deepEqual(
      served.map((res) => Number(res.headers['ratelimit-remaining'])),
      [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    );
    for (const res of served) assert.equal(res.headers['ratelimit-limit'], '10');
    // The IETF draft fields, beside the older ones: every window's policy and state.
    served.forEach((res, i) => {
      assert.equal(res.headers['ratelimit-policy'], '"minute";q=10;w=60, "burst";q=100;w=1');
      assert.match(
        res.headers['ratelimit'],
        new RegExp(`^"minute";r=${9 - i};t=\\d+, "burst";r=\\d+;t=\\d+$`),
      );
    });
    for (const res of limited) {
      assert.match(res.headers['ratelimit-policy'], /^"minute";q=10;w=60/);
      assert.match(res.headers['ratelimit'], /^"minute";r=0;t=([1-9]|[1-5]\d|60)(, "burst";r=\d+;t=\d+)?$/);
      assert.equal(res.body.metadata.error_code, 'RATE_LIMITED');
      assert.ok(Number(res.headers['retry-after']) >= 1 && Number(res.headers['retry-after']) <= 60);
      assert.equal(res.headers['ratelimit-remaining'], '0');
      assert.ok(Number(res.headers['ratelimit-reset']) >= 1);
    }

    const usage = await request(b.url).get(`/rate-limit/usage/user:${user.id}`).set(admin()).expect(200);
    const minute = usage.body.data.windows.find((w: { window: string }) => w.window === 'minute');
    assert.equal(minute.hits, 15);
    assert.equal(usage.body.data.store.active, 'redis');
    await request(a.t.url).post(`/rate-limit/reset/user:${user.id}`).set(admin()).expect(200);
    await request(b.url).get('/tts/voices').set(bearer(user.key)).expect(200);
  });

  it('counts another user separately and shows the plans in /rate-limit/config', async () => {
    const other = await createUserWithKey(a.t.url, a.adminKey, { email: 'other@example.com', plan: 'free' });
    await request(b.url).get('/tts/voices').set(bearer(other.key)).expect(200);
    const config = await request(a.t.url).get('/rate-limit/config').set(admin()).expect(200);
    assert.equal(config.body.data.plans.free.requests_per_minute, 10);
    assert.deepEqual(
      config.body.data.windows.map((w: { name: string }) => w.name),
      ['minute', 'burst'],
    );
  });
});

/** A Redis of this test's own (never the machine's shared one), so it can be stopped. */
describe('burst windows and keyless callers', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: {
        auth: { enforce: false, dev_user_plan: 'tiny' },
        rate_limits: {
          default_plan: 'tiny',
          plans: { tiny: { requests_per_minute: 1000, burst_per_second: 3 } },
        },
      },
    });
  });
  after(() => t.close());

  it('refuses requests past the burst window with its own limit, keyed by address when keyless', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => request(t.url).get('/tts/voices')));
    const limited = answers.filter((res) => res.status === 429);
    assert.equal(
      answers.filter((res) => res.status === 200).length,
      3,
      answers.map((r) => r.status).join(','),
    );
    assert.equal(limited.length, 3);
    for (const res of limited) {
      assert.equal(res.body.data.window, 'burst');
      assert.equal(res.headers['ratelimit-limit'], '3');
    }
    // Once the burst window has passed, the keyless caller's counts are under its address.
    const usage = await waitFor(async () => {
      const res = await request(t.url).get('/rate-limit/usage/ip:127.0.0.1');
      return res.status === 200 ? res : undefined;
    }, 'the burst window to pass');
    const minute = usage.body.data.windows.find((w: { window: string }) => w.window === 'minute');
    // The burst refusals stop before the minute window; the 3 served and this call count there.
    assert.ok(minute.hits >= 4, JSON.stringify(usage.body.data));
  });
});

async function startOwnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = createServer().listen(port, '127.0.0.1');
        socket.once('error', () => resolve(true)); // taken: Redis is listening
        socket.once('listening', () => socket.close(() => resolve(false)));
      }),
    'redis-server listening',
  );
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('rate limits when Redis goes away', () => {
  let s: SecuredGateway;
  let redis: ChildProcess;
  let port: number;
  before(async () => {
    port = await freePort();
    redis = await startOwnRedis(port);
    s = await startSecuredGateway({ config: limitsConfig(`redis://127.0.0.1:${port}`, 'fallback-test:') });
  });
  after(async () => {
    await s?.t.close();
    if (redis) await stopRedis(redis);
  });

  const health = async () => (await request(s.t.url).get('/health')).body.data;

  it('falls back to memory, logs it, shows degraded health, and returns to Redis', async () => {
    const user = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'fallback@example.com',
      plan: 'free',
    });
    await waitFor(async () => (await health()).checks.rate_limit_store?.status === 'up', 'Redis in use');
    for (let i = 0; i < 3; i++) await request(s.t.url).get('/tts/voices').set(bearer(user.key)).expect(200);

    await stopRedis(redis);
    // Requests keep being served and limited, now by this node's memory.
    const during = [];
    for (let i = 0; i < 12; i++)
      during.push((await request(s.t.url).get('/tts/voices').set(bearer(user.key))).status);
    assert.deepEqual(during, [...Array(10).fill(200), 429, 429]);
    const degraded = await health();
    assert.equal(degraded.status, 'degraded');
    assert.equal(degraded.checks.rate_limit_store.status, 'down');
    assert.ok(
      s.t.logs.some((line) => String(line['msg']).includes('fall back to this node')),
      'fallback logged',
    );

    redis = await startOwnRedis(port);
    await waitFor(
      async () => (await health()).checks.rate_limit_store?.status === 'up',
      'back on Redis',
      15_000,
    );
    assert.equal((await health()).status, 'healthy');
    assert.ok(s.t.logs.some((line) => String(line['msg']).includes('back on Redis')));
    // The fresh Redis has no counts: the limit is counted there again from zero.
    await request(s.t.url).get('/tts/voices').set(bearer(user.key)).expect(200);
    const usage = await request(s.t.url)
      .get(`/rate-limit/usage/user:${user.id}`)
      .set(bearer(s.adminKey))
      .expect(200);
    assert.equal(usage.body.data.store.active, 'redis');
    assert.equal(usage.body.data.windows[0].hits, 1);
  });
});
