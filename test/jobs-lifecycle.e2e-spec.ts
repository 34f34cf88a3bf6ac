import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { getJob, submitJob, waitForJob } from './support/jobs.js';
import { redisQueueSetup } from './support/redis-queue.js';
import { deepMerge, requestJson, waitFor, waitForVoices } from './support/test-gateway.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog near the quiet river bank. ';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver that answers 500 to the first `failures` deliveries, then 204. */
async function startReceiver(
  failures: number,
): Promise<{ server: Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = received.length <= failures ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, received };
}

/** The Standard Webhooks check, written from the specification (not the gateway's code). */
function verifies(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const id = String(headers['webhook-id']);
  const timestamp = String(headers['webhook-timestamp']);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  return String(headers['webhook-signature'])
    .split(' ')
    .some((signature) => signature === `v1,${expected}`);
}

for (const queue of ['database', 'redis'] as const) {
  describe(
    `job lifecycle (queued in ${queue}): cancel, quota, idempotency, webhooks`,
    { timeout: 240_000 },
    () => {
      const redis = queue === 'redis' ? redisQueueSetup() : undefined;
      let s: SecuredGateway;
      const admin = () => bearer(s.adminKey);
      const usedSeconds = async (id: number) =>
        (
          await requestJson<{ data: { used_seconds: number } }>(`${s.t.url}/admin/users/${id}`, {
            headers: admin(),
          })
        ).body.data.used_seconds;

      before(async () => {
        s = await startSecuredGateway({
          config: deepMerge(
            deepMerge(ESPEAK_TEST_CONFIG, {
              rate_limits: { plans: { free: UNTHROTTLED_PLAN } },
              routers: { core: { jobs: { webhooks: { allowed_hosts: ['localhost'] } } } },
            }),
            redis?.config ?? {},
          ),
        });
        await waitForVoices(s.t.url, 'language=en-us', 1, bearer(s.adminKey));
      });
      after(async () => {
        await s?.t.close();
        await redis?.cleanup();
      });

      it('cancels a running job within 2 s and gives its whole reservation back', async () => {
        const user = await createUserWithKey(s.t.url, s.adminKey, {
          email: 'cancel@example.com',
          quota_seconds: 100_000,
        });
        const submitted = await submitJob(s.t.url, user.key, {
          type: 'tts',
          input: { text: SENTENCE.repeat(300), response_format: 'wav' },
        });
        assert.equal(submitted.status, 202);
        const id = submitted.body.data?.job_id ?? '';
        await waitForJob(s.t.url, user.key, id, (job) => job.status === 'running' && job.progress > 0);
        assert.ok((await usedSeconds(user.id)) > 0, 'reserved while running');
        const asked = Date.now();
        const cancel = await requestJson(`${s.t.url}/jobs/${id}/cancel`, {
          method: 'POST',
          headers: bearer(user.key),
        });
        assert.equal(cancel.status, 200);
        const job = await waitForJob(s.t.url, user.key, id, (view) => view.status === 'cancelled', 5000);
        const tookMs = Date.now() - asked;
        assert.ok(tookMs <= 2000, `cancelled after ${tookMs} ms`);
        assert.equal(job.error?.error_code, 'JOB_CANCELLED');
        assert.equal(job.result, undefined);
        assert.equal(await usedSeconds(user.id), 0);
      });

      it('refuses at once (429) a job the quota cannot pay, and creates nothing', async () => {
        const user = await createUserWithKey(s.t.url, s.adminKey, {
          email: 'poor@example.com',
          quota_seconds: 5,
        });
        const submitted = await submitJob(s.t.url, user.key, {
          type: 'tts',
          input: { text: SENTENCE.repeat(20) },
        });
        assert.equal(submitted.status, 429);
        assert.equal(submitted.body.metadata.error_code, 'QUOTA_EXCEEDED');
        const list = await requestJson<{ data: { total: number } }>(`${s.t.url}/jobs`, {
          headers: bearer(user.key),
        });
        assert.equal(list.body.data.total, 0);
        assert.equal(await usedSeconds(user.id), 0);
      });

      it('answers the same job for a repeated idempotency key, reserving once', async () => {
        const user = await createUserWithKey(s.t.url, s.adminKey, {
          email: 'idem@example.com',
          quota_seconds: 100_000,
        });
        const body = { type: 'tts', input: { text: SENTENCE.repeat(3) }, idempotency_key: 'chapter-1' };
        const first = await submitJob(s.t.url, user.key, body);
        const reserved = await usedSeconds(user.id);
        const second = await submitJob(s.t.url, user.key, body);
        assert.equal(first.status, 202);
        assert.equal(second.status, 202);
        assert.equal(second.body.data?.job_id, first.body.data?.job_id);
        assert.equal(second.body.data?.created, false);
        const job = await waitForJob(s.t.url, user.key, first.body.data?.job_id ?? '');
        assert.equal(job.status, 'completed');
        assert.ok(reserved >= (job.charged_seconds ?? 0));
        assert.equal(await usedSeconds(user.id), job.charged_seconds);
        // Concurrent submissions with one key still make one job.
        const raced = await Promise.all(
          [1, 2, 3, 4].map(() => submitJob(s.t.url, user.key, { ...body, idempotency_key: 'chapter-2' })),
        );
        assert.equal(new Set(raced.map((answer) => answer.body.data?.job_id)).size, 1);
        await waitForJob(s.t.url, user.key, raced[0]?.body.data?.job_id ?? '');
        const list = await requestJson<{ data: { total: number } }>(`${s.t.url}/jobs`, {
          headers: bearer(user.key),
        });
        assert.equal(list.body.data.total, 2);
      });

      it('refuses callback URLs that reach private or loopback addresses (SSRF)', async () => {
        const user = await createUserWithKey(s.t.url, s.adminKey, {
          email: 'ssrf@example.com',
          quota_seconds: 1000,
        });
        for (const url of [
          'http://127.0.0.1:9/hook',
          'http://10.1.2.3/hook',
          'http://169.254.169.254/latest/meta-data',
          'http://[::1]:9/hook',
          'http://0x7f000001/hook',
          'file:///etc/passwd',
          'http://user:pw@example.com/hook',
        ]) {
          const answer = await submitJob(s.t.url, user.key, {
            type: 'tts',
            input: { text: 'Hello.' },
            callback_url: url,
          });
          assert.equal(answer.status, 400, url);
          assert.equal(answer.body.metadata.error_code, 'CALLBACK_URL_REFUSED', url);
        }
        assert.equal(await usedSeconds(user.id), 0);
      });

      it('delivers a signed webhook, retrying with backoff, and lists each attempt', async () => {
        const user = await createUserWithKey(s.t.url, s.adminKey, {
          email: 'hook@example.com',
          quota_seconds: 1000,
        });
        const receiver = await startReceiver(2);
        try {
          const callback = `http://localhost:${receiver.port}/hook`;
          const noSecret = await submitJob(s.t.url, user.key, {
            type: 'tts',
            input: { text: 'Hi.' },
            callback_url: callback,
          });
          assert.equal(noSecret.status, 400, 'a secret must exist before callbacks');
          const created = await requestJson<{ data: { secret: string } }>(`${s.t.url}/jobs/webhook-secret`, {
            method: 'POST',
            headers: bearer(user.key),
          });
          assert.equal(created.status, 201);
          const secret = created.body.data.secret;
          assert.match(secret, /^whsec_/);
          const submitted = await submitJob(s.t.url, user.key, {
            type: 'tts',
            input: { text: 'A webhook will follow.' },
            callback_url: callback,
          });
          assert.equal(submitted.status, 202);
          const id = submitted.body.data?.job_id ?? '';
          await waitForJob(s.t.url, user.key, id);
          await waitFor(() => receiver.received.length >= 3, 'three delivery attempts', 15_000);
          for (const delivery of receiver.received) {
            assert.ok(verifies(secret, delivery.headers, delivery.body), 'signature verifies');
            assert.equal(delivery.headers['webhook-id'], `msg_${id}`);
          }
          const event = JSON.parse(receiver.received[2]?.body ?? '{}') as {
            type: string;
            data: { job_id: string };
          };
          assert.equal(event.type, 'job.completed');
          assert.equal(event.data.job_id, id);
          assert.ok(
            !verifies(
              'whsec_' + Buffer.alloc(32).toString('base64'),
              receiver.received[2].headers,
              receiver.received[2].body,
            ),
          );
          const deliveries = await waitFor(async () => {
            const answer = await requestJson<{
              data: {
                deliveries: Array<{
                  attempt: number;
                  status_code: number;
                  error: string | null;
                  created_at: string;
                }>;
              };
            }>(`${s.t.url}/jobs/${id}/deliveries`, { headers: bearer(user.key) });
            return answer.body.data.deliveries.length === 3 ? answer.body.data.deliveries : undefined;
          }, 'three logged attempts');
          assert.deepEqual(
            deliveries.map((d) => [d.attempt, d.status_code]),
            [
              [1, 500],
              [2, 500],
              [3, 204],
            ],
          );
          // Backoff: the second retry waited longer than the first.
          const times = deliveries.map((d) => Date.parse(d.created_at));
          assert.ok(times[2] - times[1] > times[1] - times[0], `attempt times ${times.join(', ')}`);
          const again = await getJob(s.t.url, user.key, id);
          assert.equal(again.status, 'completed');
        } finally {
          receiver.server.close();
        }
      });
    },
  );
}
