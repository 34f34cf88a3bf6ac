import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import pg from 'pg';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { POCKETSPHINX_TEST_CONFIG, SHORT_CLIP } from './support/speech-fixtures.js';
import { deepMerge, requestJson, TEST_DATABASE_URL } from './support/test-gateway.js';

interface Answer {
  data: { text?: string };
  metadata: { error_code: string | null };
}

/** Speech to text behind keys: the stt scope, quota charged by audio length, nothing for failures. */
describe('POST /stt with API keys and quotas', () => {
  let s: SecuredGateway;
  let clip: Buffer;

  async function post(key: string, fields: Record<string, string> = {}, path = '/stt') {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([clip]), 'clip.wav');
    return requestJson<Answer>(`${s.t.url}${path}`, { method: 'POST', headers: bearer(key), body: form });
  }

  async function usageRows(userId: number): Promise<Array<Record<string, unknown>>> {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`SET search_path = "${s.t.schema}"`);
      return (await client.query(`SELECT * FROM usage_logs WHERE user_id = $1 ORDER BY id`, [userId])).rows;
    } finally {
      await client.end();
    }
  }

  before(async () => {
    clip = await readFile(SHORT_CLIP);
    s = await startSecuredGateway({
      config: deepMerge(POCKETSPHINX_TEST_CONFIG, {
        engines: {
          stt: [
            ...POCKETSPHINX_TEST_CONFIG.engines.stt,
            {
              id: 'missing',
              type: 'pocketsphinx',
              options: { binary: 'no-such-decoder', python: '/no/python3' },
            },
          ],
        },
        rate_limits: {
          plans: {
            free: UNTHROTTLED_PLAN,
            pro: UNTHROTTLED_PLAN,
          },
        },
      }),
    });
  });
  after(() => s.t.close());

  it('needs a key with the stt scope, on /stt and /v1/audio/transcriptions', async () => {
    const form = new FormData();
    form.append('file', new Blob([clip]), 'clip.wav');
    const anonymous = await requestJson<Answer>(`${s.t.url}/stt`, { method: 'POST', body: form });
    assert.equal(anonymous.status, 401);
    const ttsOnly = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'tts-only@example.com',
      scopes: ['tts'],
    });
    for (const path of ['/stt', '/v1/audio/transcriptions']) {
      const refused = await post(ttsOnly.key, { model: 'whisper-1' }, path);
      assert.equal(refused.status, 403, path);
    }
    const native = await post(ttsOnly.key);
    assert.equal(native.body.metadata.error_code, 'INSUFFICIENT_SCOPE');
  });

  it('charges the audio length, says what is left, and logs the usage', async () => {
    const user = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'listener@example.com',
      plan: 'pro',
      quota_seconds: 100,
      scopes: ['stt'],
    });
    const response = await post(user.key);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const remaining = Number(response.headers.get('x-quota-remaining'));
    assert.ok(Math.abs(remaining - (100 - 2.99)) < 0.05, `remaining ${remaining}`);
    const rows = await usageRows(user.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]['engine'], 'pocketsphinx');
    assert.ok(Math.abs(Number(rows[0]['audio_seconds']) - 2.99) < 0.05);

    // The official SDK with the key: same charge.
    const client = new OpenAI({ baseURL: `${s.t.url}/v1`, apiKey: user.key, maxRetries: 0 });
    const transcription = await client.audio.transcriptions.create({
      file: await toFile(clip, 'clip.wav'),
      model: 'whisper-1',
    });
    assert.equal(transcription.text, response.body.data.text);
    assert.equal((await usageRows(user.id)).length, 2);
  });

  it('charges nothing when the engine fails, and refuses audio the quota cannot pay for', async () => {
    const user = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'short@example.com',
      plan: 'pro',
      quota_seconds: 5,
      scopes: ['stt'],
    });
    const failed = await post(user.key, { model: 'missing' });
    assert.equal(failed.status, 503);
    assert.equal(failed.headers.get('x-quota-remaining'), '5');
    const first = await post(user.key);
    assert.equal(first.status, 200);
    const second = await post(user.key);
    assert.equal(second.status, 429);
    assert.equal(second.body.metadata.error_code, 'QUOTA_EXCEEDED');
    const charged = (await usageRows(user.id)).reduce(
      (sum, row) => sum + Number(row['audio_seconds'] ?? 0),
      0,
    );
    assert.ok(Math.abs(charged - 2.99) < 0.05, `charged ${charged}`);
  });
});
