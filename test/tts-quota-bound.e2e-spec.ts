import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  type TestUser,
} from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { deepMerge, requestJson, waitForVoices } from './support/test-gateway.js';

/** Raw PCM at 16 kHz: two bytes a sample, so seconds are bytes / 32,000. */
const RATE = 16_000;
const secondsOf = (bytes: number) => bytes / (RATE * 2);

/** espeak-ng reads these as numbers: about 0.5 s a character, six times the usual estimate. */
const DIGITS = '1234567890 '.repeat(10).trim();
const LONG_BREAK = '<speak>a<break time="600s"/>b</speak>';
const THREE_HOURS = '<speak>a<break time="3600s"/>b<break time="3600s"/>c<break time="3600s"/>d</speak>';

interface Answer {
  status: number;
  headers: Headers;
  bytes: number;
  text: string;
}

interface UserView {
  used_seconds: number;
  quota_seconds: number;
}

async function send(url: string, key: string, body: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...bearer(key), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const buffer = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    headers: response.headers,
    bytes: buffer.length,
    // Audio is not text; JSON answers (and errors) are read whole.
    text: buffer
      .subarray(0, /json|event-stream/.test(response.headers.get('content-type') ?? '') ? undefined : 4000)
      .toString('utf8'),
  };
}

/** Seconds of PCM carried by an OpenAI speech SSE stream. */
function sseSeconds(body: string): number {
  let bytes = 0;
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const event = JSON.parse(line.slice(6)) as { type: string; audio?: string };
    if (event.type === 'speech.audio.delta' && event.audio)
      bytes += Buffer.from(event.audio, 'base64').length;
  }
  return secondsOf(bytes);
}

const errorCodeOf = (answer: Answer): string | undefined => {
  const body = JSON.parse(answer.text) as { metadata?: { error_code?: string }; error?: { code?: string } };
  return (body.metadata?.error_code ?? body.error?.code)?.toUpperCase();
};

/** A gateway enforcing keys, with espeak-ng and a plan that allows streams and many requests. */
async function startGateway(config: Record<string, unknown> = {}): Promise<SecuredGateway> {
  const s = await startSecuredGateway({
    database: 'postgres',
    config: deepMerge(
      {
        ...ESPEAK_TEST_CONFIG,
        middleware: { logging: { log_level: 'info' } },
        rate_limits: {
          plans: {
            free: {},
            bound: { requests_per_minute: 10000, burst_per_second: 1000, max_concurrent_requests: 10 },
          },
        },
      },
      config,
    ),
  });
  await waitForVoices(s.t.url, 'language=en-us', 1, bearer(s.adminKey));
  return s;
}

function helpers(s: () => SecuredGateway) {
  let users = 0;
  return {
    user: (quotaSeconds: number, scopes?: string[]): Promise<TestUser> =>
      createUserWithKey(s().t.url, s().adminKey, {
        email: `bound${++users}@example.com`,
        plan: 'bound',
        quota_seconds: quotaSeconds,
        scopes,
      }),
    used: async (user: TestUser): Promise<UserView> =>
      (
        await requestJson<{ data: UserView }>(`${s().t.url}/admin/users/${user.id}`, {
          headers: bearer(s().adminKey),
        })
      ).body.data,
    tts: (key: string, body: Record<string, unknown>) =>
      send(`${s().t.url}/tts`, key, { response_format: 'pcm', sample_rate: RATE, ...body }),
    speech: (key: string, body: Record<string, unknown>) =>
      send(`${s().t.url}/v1/audio/speech`, key, {
        model: 'tts-1',
        voice: 'en-us',
        response_format: 'pcm',
        sample_rate: RATE,
        ...body,
      }),
  };
}

describe('TTS audio is bounded by the quota (default SSML limits)', () => {
  let s: SecuredGateway;
  const h = helpers(() => s);

  before(async () => {
    s = await startGateway();
  });
  after(async () => {
    await s?.t.close();
  });

  it('refuses SSML breaks beyond the limit with 400 naming text and the limit, before any engine runs', async () => {
    const user = await h.user(20);
    for (const text of [LONG_BREAK, THREE_HOURS]) {
      const answer = await h.tts(user.key, { text, ssml: true });
      assert.equal(answer.status, 400, answer.text);
      assert.equal(errorCodeOf(answer), 'VALIDATION_FAILED');
      const body = JSON.parse(answer.text) as {
        data: { fields: Array<{ field: string; errors: string[] }> };
      };
      assert.equal(body.data.fields[0]?.field, 'text');
      assert.match(body.data.fields[0]?.errors[0] ?? '', /max_break_seconds/);
    }
    const slow = await h.tts(user.key, {
      text: '<speak><prosody rate="10%">slow</prosody></speak>',
      ssml: true,
    });
    assert.equal(slow.status, 400, slow.text);
    assert.match(slow.text, /min_prosody_rate_percent/);
    const audio = await h.tts(user.key, { text: '<speak><audio src="/etc/passwd"/>a</speak>', ssml: true });
    assert.equal(audio.status, 400, audio.text);
    assert.match(audio.text, /<audio>/);
    assert.equal((await h.used(user)).used_seconds, 0);
  });

  it('refuses a whole answer whose audio outgrows the quota left, charging nothing', async () => {
    const user = await h.user(20);
    for (const answer of [
      await h.tts(user.key, { text: DIGITS }),
      await h.tts(user.key, { text: `<speak>${DIGITS}</speak>`, ssml: true }),
      await h.speech(user.key, { input: DIGITS }),
    ]) {
      assert.equal(answer.status, 429, answer.text);
      assert.equal(errorCodeOf(answer), 'QUOTA_EXCEEDED');
      assert.ok(answer.bytes < 4000, `${answer.bytes} bytes`);
    }
    assert.equal((await h.used(user)).used_seconds, 0);
    // The same text fits a larger quota and is charged exactly what it returned.
    const rich = await h.user(200);
    const served = await h.tts(rich.key, { text: DIGITS });
    assert.equal(served.status, 200, served.text);
    const seconds = secondsOf(served.bytes);
    assert.ok(seconds > 20, `${seconds} s`);
    assert.ok(Math.abs((await h.used(rich)).used_seconds - seconds) < 0.05);
  });

  it('ends a stream at the quota left and charges what it sent', async () => {
    for (const stream of [
      (key: string) => h.tts(key, { text: DIGITS, stream: true }),
      (key: string) => h.tts(key, { text: `<speak>${DIGITS}</speak>`, ssml: true, stream: true }),
    ]) {
      const user = await h.user(20);
      const answer = await stream(user.key);
      assert.equal(answer.status, 200, answer.text);
      const served = secondsOf(answer.bytes);
      const { used_seconds: used, quota_seconds: quota } = await h.used(user);
      assert.ok(served <= used + 0.01, `served ${served} s, charged ${used} s`);
      assert.ok(used <= quota, `charged ${used} s of ${quota} s`);
      assert.ok(served > 15, `served ${served} s`);
    }
    const user = await h.user(20);
    const sse = await send(`${s.t.url}/v1/audio/speech`, user.key, {
      model: 'tts-1',
      voice: 'en-us',
      input: DIGITS,
      stream_format: 'sse',
      sample_rate: RATE,
    });
    assert.equal(sse.status, 200);
    const { used_seconds: used } = await h.used(user);
    const served = sseSeconds(sse.text);
    assert.ok(served <= used + 0.01 && used <= 20, `served ${served} s, charged ${used} s`);
    assert.ok(served > 15, `served ${served} s`);
  });

  it('shows X-Cache and the cache field to admin keys only', async () => {
    const user = await h.user(100);
    const text = 'Which tenant said this before?';
    const first = await h.tts(user.key, { text });
    assert.equal(first.status, 200);
    const again = await h.tts(user.key, { text });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('x-cache'), null);
    const json = await h.tts(user.key, { text, response_format: 'json' });
    assert.equal(json.status, 200);
    assert.ok(!('cache' in (JSON.parse(json.text) as { data: object }).data), json.text.slice(0, 300));
    const speech = await h.speech(user.key, { input: text });
    assert.equal(speech.status, 200);
    assert.equal(speech.headers.get('x-cache'), null);
    const streamed = await h.tts(user.key, { text, stream: true });
    assert.equal(streamed.headers.get('x-cache'), null);
    // An admin key sees it.
    const admin = await h.tts(s.adminKey, { text });
    assert.equal(admin.headers.get('x-cache'), 'hit');
  });
});

describe('TTS audio is bounded by the quota and max_audio_seconds (SSML limits raised)', () => {
  let s: SecuredGateway;
  const h = helpers(() => s);

  before(async () => {
    s = await startGateway({
      gen: { chunk_size: 40 },
      routers: {
        core: {
          tts: {
            max_audio_seconds: 30,
            ssml: { max_break_seconds: 3600, max_total_pause_seconds: 86400, min_prosody_rate_percent: 1 },
          },
        },
      },
    });
  });
  after(async () => {
    await s?.t.close();
  });

  it('never serves a 20 s quota more than 20 s of long-break SSML', async () => {
    const user = await h.user(20);
    for (const text of [LONG_BREAK, THREE_HOURS]) {
      for (const stream of [false, true]) {
        const answer = await h.tts(user.key, { text, ssml: true, stream });
        assert.ok(secondsOf(answer.status === 200 ? answer.bytes : 0) <= 20, `${answer.bytes} bytes`);
        assert.equal(answer.status, 429, answer.text);
        assert.ok(answer.bytes < 4000);
      }
    }
    const { used_seconds: used, quota_seconds: quota } = await h.used(user);
    assert.ok(used <= quota);
  });

  it('refuses audio past max_audio_seconds with 413 after bounded work, charging nothing', async () => {
    const user = await h.user(10_000);
    const longBreak = '<speak>a<break time="60s"/>b</speak>';
    for (const answer of [
      await h.tts(user.key, { text: longBreak, ssml: true }),
      await h.tts(user.key, { text: longBreak, ssml: true, stream: true }),
      await h.tts(user.key, { text: THREE_HOURS, ssml: true }),
      await h.tts(user.key, { text: DIGITS }),
      await h.tts(user.key, { text: DIGITS, response_format: 'json' }),
      await h.speech(user.key, { input: DIGITS, response_format: 'wav' }),
    ]) {
      assert.equal(
        answer.status,
        413,
        `${answer.status} ${answer.headers.get('x-audio-duration')} ${answer.bytes}`,
      );
      assert.equal(errorCodeOf(answer), 'AUDIO_TOO_LONG');
      assert.ok(answer.bytes < 4000, `${answer.bytes} bytes`);
    }
    assert.equal((await h.used(user)).used_seconds, 0);
  });

  it('ends a multi-chunk stream at max_audio_seconds and charges what it sent', async () => {
    const user = await h.user(10_000);
    const answer = await h.tts(user.key, { text: DIGITS, stream: true });
    assert.equal(answer.status, 200, answer.text);
    const served = secondsOf(answer.bytes);
    assert.ok(served <= 30.01 && served > 20, `served ${served} s`);
    const { used_seconds: used } = await h.used(user);
    assert.ok(used <= 30 && served <= used + 0.01, `served ${served} s, charged ${used} s`);
  });
});
