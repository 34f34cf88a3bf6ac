import assert from 'node:assert/strict';
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
import { getJob, submitJob, submitSttUpload, waitForJob } from './support/jobs.js';
import { POCKETSPHINX_TEST_CONFIG, SHORT_CLIP } from './support/speech-fixtures.js';
import { readEvents } from './support/sse-reader.js';
import { redisKeyCount, redisQueueSetup } from './support/redis-queue.js';
import { deepMerge, requestJson, waitForVoices } from './support/test-gateway.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog near the quiet river bank. ';

interface UserView {
  used_seconds: number;
  quota_seconds: number;
}

const SETUPS = [
  { database: 'embedded', queue: 'database' },
  { database: 'postgres', queue: 'database' },
  // The same scenarios with deliveries through Redis (BullMQ); the jobs table stays in PostgreSQL.
  { database: 'postgres', queue: 'redis' },
] as const;

for (const { database, queue } of SETUPS) {
  describe(`jobs on the ${database} database, queued in ${queue}`, { timeout: 240_000 }, () => {
    const redis = queue === 'redis' ? redisQueueSetup() : undefined;
    let s: SecuredGateway;
    let user: TestUser;
    let other: TestUser;
    const admin = () => bearer(s.adminKey);
    const usedSeconds = async (id: number) =>
      (await requestJson<{ data: UserView }>(`${s.t.url}/admin/users/${id}`, { headers: admin() })).body.data
        .used_seconds;

    before(async () => {
      s = await startSecuredGateway({
        database,
        config: deepMerge(
          deepMerge(deepMerge(ESPEAK_TEST_CONFIG, POCKETSPHINX_TEST_CONFIG), redis?.config ?? {}),
          {
            rate_limits: { plans: { free: UNTHROTTLED_PLAN } },
          },
        ),
      });
      await waitForVoices(s.t.url, 'language=en-us', 1, bearer(s.adminKey));
      user = await createUserWithKey(s.t.url, s.adminKey, {
        email: `jobs-${database}-${queue}@example.com`,
        quota_seconds: 100_000,
      });
      other = await createUserWithKey(s.t.url, s.adminKey, {
        email: `other-${database}-${queue}@example.com`,
      });
    });
    after(async () => {
      await s?.t.close();
      await redis?.cleanup();
    });

    it(`says in /health which queue delivers jobs (${queue})`, async () => {
      const health = await requestJson<{ data: { architecture: { job_queue: string } } }>(
        `${s.t.url}/health`,
        {
          headers: admin(),
        },
      );
      assert.equal(health.body.data.architecture.job_queue, queue);
      if (redis)
        assert.ok((await redisKeyCount(redis.prefix)) > 0, 'the queue keeps its keys under the prefix');
    });

    it('runs a TTS job: 202, progress events, the result downloads, the audio is charged', async () => {
      const submitted = await submitJob(s.t.url, user.key, {
        type: 'tts',
        input: { text: SENTENCE.repeat(40), response_format: 'mp3' },
      });
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      const id = submitted.body.data?.job_id ?? '';
      assert.equal(submitted.body.data?.status, 'queued');
      // Reserved at submit: the upper bound is held before any engine ran.
      assert.ok((await usedSeconds(user.id)) > 0);

      const events = await readEvents(
        await fetch(`${s.t.url}/jobs/${id}/events`, { headers: bearer(user.key) }),
      );
      const progress = events
        .filter((event) => event.event === 'progress')
        .map((event) => Number(event.data['progress']));
      assert.ok(progress.length >= 2, `progress events: ${JSON.stringify(events.map((e) => e.event))}`);
      for (let i = 1; i < progress.length; i++)
        assert.ok(progress[i] >= progress[i - 1], 'progress never goes back');
      assert.ok(
        progress.some((value) => value > 0 && value < 1),
        'some progress between 0 and 1',
      );
      assert.equal(events.at(-1)?.event, 'completed');

      const job = await getJob(s.t.url, user.key, id);
      assert.equal(job.status, 'completed');
      assert.equal(job.progress, 1);
      assert.equal(job.result?.format, 'mp3');
      assert.ok((job.result?.duration_seconds ?? 0) > 20, `duration ${job.result?.duration_seconds}`);
      const download = await fetch(`${s.t.url}/jobs/${id}/result`, { headers: bearer(user.key) });
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('content-type'), 'audio/mpeg');
      const bytes = Buffer.from(await download.arrayBuffer());
      assert.equal(bytes.length, job.result?.bytes);
      assert.ok(bytes[0] === 0xff || bytes.subarray(0, 3).toString() === 'ID3', 'an MP3');
      // The result is an outputs file too: the files route serves the same bytes at result.url.
      const asFile = await fetch(`${s.t.url}${job.result?.url}`, { headers: bearer(user.key) });
      assert.equal(asFile.status, 200);
      assert.ok(Buffer.from(await asFile.arrayBuffer()).equals(bytes));
      const notTheirs = await fetch(`${s.t.url}${job.result?.url}`, { headers: bearer(other.key) });
      assert.equal(notTheirs.status, 404);
      // Commit replaced the reservation with what the audio took.
      assert.equal(await usedSeconds(user.id), job.charged_seconds);
      assert.equal(job.charged_seconds, job.result?.duration_seconds);
    });

    it('runs an STT job from a multipart upload and stores the transcript', async () => {
      const before = await usedSeconds(user.id);
      const submitted = await submitSttUpload(s.t.url, user.key, SHORT_CLIP);
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      const id = submitted.body.data?.job_id ?? '';
      const job = await waitForJob(s.t.url, user.key, id);
      assert.equal(job.status, 'completed', JSON.stringify(job));
      assert.ok((job.result?.text ?? '').length > 10, job.result?.text);
      const transcript = await requestJson<{ text: string }>(`${s.t.url}/jobs/${id}/result`, {
        headers: bearer(user.key),
      });
      assert.equal(transcript.body.text, job.result?.text);
      const charged = (await usedSeconds(user.id)) - before;
      assert.ok(Math.abs(charged - (job.result?.duration_seconds ?? 0)) < 0.01, `charged ${charged}`);
    });

    it('runs an STT job on a stored file named by file_id (a TTS job’s WAV output)', async () => {
      const spoken = await submitJob(s.t.url, user.key, {
        type: 'tts',
        input: {
          text: 'Go forward ten meters and then turn left.',
          response_format: 'wav',
          sample_rate: 16000,
        },
      });
      const tts = await waitForJob(s.t.url, user.key, spoken.body.data?.job_id ?? '');
      assert.equal(tts.status, 'completed');
      const fileId = tts.result?.file_id ?? '';
      const theirs = await submitJob(s.t.url, other.key, { type: 'stt', input: { file_id: fileId } });
      assert.equal(theirs.status, 404, 'another user cannot name my file');
      const submitted = await submitJob(s.t.url, user.key, {
        type: 'stt',
        input: { file_id: fileId, language: 'en' },
      });
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      const job = await waitForJob(s.t.url, user.key, submitted.body.data?.job_id ?? '');
      assert.equal(job.status, 'completed', JSON.stringify(job));
      // The same transcript as /stt gives for the same audio (espeak's voice is hard for pocketsphinx).
      const audio = Buffer.from(
        await (
          await fetch(`${s.t.url}/jobs/${tts.job_id}/result`, { headers: bearer(user.key) })
        ).arrayBuffer(),
      );
      const form = new FormData();
      form.set('file', new Blob([audio]), 'spoken.wav');
      form.set('language', 'en');
      const direct = await requestJson<{ data: { text: string } }>(`${s.t.url}/stt`, {
        method: 'POST',
        headers: bearer(user.key),
        body: form,
      });
      assert.equal(direct.status, 200, JSON.stringify(direct.body));
      assert.ok((job.result?.text ?? '').length > 0);
      assert.equal(job.result?.text, direct.body.data.text);
      assert.ok(Math.abs((job.result?.duration_seconds ?? 0) - (tts.result?.duration_seconds ?? 0)) < 0.5);
    });

    it("answers 404 for another user's job and lists only one's own", async () => {
      const mine = await submitJob(s.t.url, user.key, { type: 'tts', input: { text: 'Short one.' } });
      const id = mine.body.data?.job_id ?? '';
      const peek = await requestJson(`${s.t.url}/jobs/${id}`, { headers: bearer(other.key) });
      assert.equal(peek.status, 404);
      const cancel = await requestJson(`${s.t.url}/jobs/${id}/cancel`, {
        method: 'POST',
        headers: bearer(other.key),
      });
      assert.equal(cancel.status, 404);
      const list = await requestJson<{ data: { jobs: Array<{ job_id: string }>; total: number } }>(
        `${s.t.url}/jobs?type=tts`,
        { headers: bearer(other.key) },
      );
      assert.equal(list.body.data.total, 0);
      const own = await requestJson<{ data: { jobs: Array<{ job_id: string }> } }>(
        `${s.t.url}/jobs?limit=1`,
        {
          headers: bearer(user.key),
        },
      );
      assert.deepEqual(
        own.body.data.jobs.map((job) => job.job_id),
        [id],
      );
      await waitForJob(s.t.url, user.key, id);
    });

    it('exports queued/running job gauges and the queue wait of started jobs in /metrics', async () => {
      const response = await fetch(`${s.t.url}/metrics`, { headers: admin() });
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.match(text, /^speech_gateway_jobs\{status="queued"\} \d+$/m);
      assert.match(text, /^speech_gateway_jobs\{status="running"\} \d+$/m);
      // Every job above started here, so the queue wait has one sample per job at least.
      const count = /^speech_gateway_job_queue_wait_seconds_count (\d+)$/m.exec(text);
      assert.ok(count && Number(count[1]) >= 3, `queue wait samples: ${count?.[1]}`);
    });
  });
}
