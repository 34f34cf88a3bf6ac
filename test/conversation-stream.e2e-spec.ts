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
import { CONVERSATION_TEST_CONFIG, INTENTS_CHAT_ENGINE } from './support/conversation-config.js';
import { type FakeOpenAiChat, startFakeOpenAiChat } from './support/fake-openai-chat.js';
import { type ReceivedEvent, readEvents } from './support/sse-reader.js';
import { deepMerge, requestJson, waitFor, waitForVoices } from './support/test-gateway.js';

const SYSTEM_PROMPT = 'You are a test assistant.';
const THREE_SENTENCES =
  'The first sentence is short. Then a second one follows it closely. And a third ends it.';

interface TurnData {
  conversation_id: string;
  turn_id: string;
  reply: { text: string; engine: string; intent?: string };
}

/**
 * Streamed turns and remote chat engines: a local server speaking OpenAI's chat
 * completions contract (streaming included) stands in for the LLM, with the shipped
 * intents engine behind it.
 */
describe('POST /conversation with a remote chat engine and stream: true', () => {
  let s: SecuredGateway;
  let chat: FakeOpenAiChat;
  let user: TestUser;

  function turn(key: string, body: Record<string, unknown>, signal?: AbortSignal) {
    return fetch(`${s.t.url}/conversation`, {
      method: 'POST',
      headers: { ...bearer(key), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  }

  async function textTurn(key: string, body: Record<string, unknown>) {
    const response = await turn(key, body);
    return {
      status: response.status,
      body: (await response.json()) as { data: TurnData; metadata: { error_code: string | null } },
    };
  }

  async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    return s.t.gateway.database.dataSource.query<T[]>(text, params);
  }

  before(async () => {
    chat = await startFakeOpenAiChat();
    s = await startSecuredGateway({
      config: deepMerge(CONVERSATION_TEST_CONFIG, {
        engines: {
          chat: [
            {
              id: 'llm',
              type: 'openai',
              priority: 0,
              options: { base_url: chat.baseUrl, api_key: chat.key, model: 'gpt-4o-mini' },
              resilience: { retry: { max_attempts: 1 } },
            },
            INTENTS_CHAT_ENGINE,
          ],
        },
        routers: { core: { conversation: { history_turns: 2, system_prompt: SYSTEM_PROMPT } } },
        rate_limits: {
          plans: {
            free: UNTHROTTLED_PLAN,
            pro: UNTHROTTLED_PLAN,
            single: { ...UNTHROTTLED_PLAN, max_concurrent_requests: 1 },
          },
        },
      }),
    });
    await waitForVoices(s.t.url, 'language=en-us', 1, bearer(s.adminKey));
    user = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'streamer@example.com',
      plan: 'pro',
      quota_seconds: 1000,
    });
  });
  after(async () => {
    await s.t.close();
    await chat.close();
  });

  it('streams reply deltas, then each sentence’s audio in order, the first before the reply is written', async () => {
    chat.fault = undefined;
    chat.replyWith = () => THREE_SENTENCES;
    // 15 words, ~4 s of writing: room for sentence 1's TTS even on a loaded machine.
    chat.deltaIntervalMs = 250;
    const response = await turn(user.key, { text: 'tell me something', stream: true });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = await readEvents(response);
    const names = events.map((event) => event.event);
    assert.equal(names.at(-1), 'done', names.join(','));
    assert.ok(!names.includes('error'), JSON.stringify(events.find((e) => e.event === 'error')));
    assert.ok(!names.includes('transcript'), 'a typed turn has no transcript');

    const deltas = events.filter((event) => event.event === 'reply.delta');
    assert.equal(deltas.map((event) => event.data.delta).join(''), THREE_SENTENCES);
    assert.ok(deltas.every((event) => event.data.engine === 'llm'));
    const audio = events.filter((event) => event.event === 'audio.delta');
    assert.deepEqual(
      audio.map((event) => [event.data.index, event.data.text]),
      [
        [0, 'The first sentence is short.'],
        [1, 'Then a second one follows it closely.'],
        [2, 'And a third ends it.'],
      ],
    );
    for (const event of audio) {
      const wav = Buffer.from(event.data.audio_base64 as string, 'base64');
      assert.equal(wav.subarray(0, 4).toString('latin1'), 'RIFF');
      assert.equal(event.data.audio_format, 'wav');
    }
    const firstAudio = audio[0];
    const lastDelta = deltas.at(-1) as ReceivedEvent;
    assert.ok(firstAudio.at < lastDelta.at, 'sentence 1 was spoken while the engine still wrote');
    assert.ok(events.indexOf(firstAudio) < events.indexOf(lastDelta));

    const done = (events.at(-1) as ReceivedEvent).data as Record<string, unknown> & {
      reply: { text: string; engine: string };
    };
    assert.equal(done.reply.text, THREE_SENTENCES);
    assert.equal(done.reply.engine, 'llm');
    assert.equal(done.audio_base64, undefined, 'done carries no audio');
    assert.equal(done.audio_format, 'wav');
    const total = audio.reduce((sum, event) => sum + (event.data.duration_seconds as number), 0);
    assert.ok(Math.abs((done.duration_seconds as number) - total) < 0.01);
    const timings = done.timings as { first_audio_ms: number; chat_ms: number };
    assert.ok(timings.first_audio_ms < timings.chat_ms, JSON.stringify(timings));
  });

  it('sends the system prompt and the last history_turns turns to the engine', async () => {
    chat.fault = undefined;
    chat.deltaIntervalMs = 1;
    chat.replyWith = (messages) => `Reply ${messages.filter((m) => m.role === 'user').length}.`;
    const first = await textTurn(user.key, { text: 'one' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const id = first.body.data.conversation_id;
    assert.deepEqual(chat.requests.at(-1)?.messages, [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'one' },
    ]);
    await textTurn(user.key, { text: 'two', conversation_id: id });
    await textTurn(user.key, { text: 'three', conversation_id: id });
    const usage = await sql<{
      engine: string;
      prompt_tokens: number;
      completion_tokens: number;
      audio_seconds: string;
      endpoint: string;
    }>(
      `SELECT engine, prompt_tokens, completion_tokens, audio_seconds, endpoint FROM usage_logs
        WHERE user_id = $1 AND engine = 'llm' ORDER BY id DESC LIMIT 1`,
      [user.id],
    );
    assert.deepEqual(usage[0], {
      engine: 'llm',
      // The second request's words: the system prompt (5), 'one', 'Reply 1.', 'two'.
      prompt_tokens: 5 + 1 + 2 + 1,
      completion_tokens: 2,
      audio_seconds: '0.000',
      endpoint: '/conversation',
    });
    assert.deepEqual(chat.requests.at(-1)?.messages, [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'two' },
      { role: 'assistant', content: 'Reply 2.' },
      { role: 'user', content: 'three' },
    ]);
  });

  it('falls back to the intents engine when the remote engine fails', async () => {
    chat.fault = 'http500';
    try {
      const answer = await textTurn(user.key, { text: 'hello' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.data.reply.engine, 'intents');
      assert.equal(answer.body.data.reply.intent, 'greeting');
      const stored = await sql<{ chat_engine: string }>(
        `SELECT chat_engine FROM conversation_turns WHERE id = $1`,
        [answer.body.data.turn_id],
      );
      assert.equal(stored[0]?.chat_engine, 'intents');
    } finally {
      chat.fault = undefined;
    }
  });

  it('streams a spoken turn: the transcript first, recognised with the intents grammar', async () => {
    const speech = await fetch(`${s.t.url}/tts`, {
      method: 'POST',
      headers: { ...bearer(s.adminKey), 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'what time is it', response_format: 'wav' }),
    });
    const form = new FormData();
    form.append('stream', 'true');
    form.append('model', 'intents');
    form.append('file', new Blob([Buffer.from(await speech.arrayBuffer())]), 'turn.wav');
    const response = await fetch(`${s.t.url}/conversation`, {
      method: 'POST',
      headers: bearer(user.key),
      body: form,
    });
    assert.equal(response.status, 200);
    const events = await readEvents(response);
    assert.deepEqual(
      events.map((event) => event.event),
      ['transcript', 'reply.delta', 'audio.delta', 'done'],
    );
    assert.deepEqual(events[0]?.data, { text: 'what time is it', engine: 'pocketsphinx' });
    assert.equal((events[3]?.data.reply as { intent: string }).intent, 'time');
  });

  it('stops every stage when the client leaves mid-stream, and stores nothing', async () => {
    chat.fault = undefined;
    chat.replyWith = () => `${THREE_SENTENCES} ${'More words keep coming for a long while. '.repeat(6)}`;
    chat.deltaIntervalMs = 100;
    const leaver = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'leaver@example.com',
      plan: 'pro',
      quota_seconds: 1000,
    });
    const cutBefore = chat.cutOff;
    const requestsBefore = chat.requests.length;
    const controller = new AbortController();
    const response = await turn(leaver.key, { text: 'go on', stream: true }, controller.signal);
    const events = await readEvents(response, (event) =>
      event.event === 'audio.delta' ? 'stop' : undefined,
    );
    controller.abort();
    assert.equal(events.at(-1)?.event, 'audio.delta');
    assert.equal(chat.requests.length, requestsBefore + 1);
    await waitFor(() => chat.cutOff > cutBefore, 'the chat engine’s stream to be cut off');
    await waitFor(
      async () =>
        Number(
          (
            await sql<{ n: string }>(`SELECT count(*) AS n FROM quota_reservations WHERE user_id = $1`, [
              leaver.id,
            ])
          )[0]?.n,
        ) === 0,
      'the reservations to be settled',
    );
    const conversations = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM conversations WHERE user_id = $1`,
      [leaver.id],
    );
    assert.equal(Number(conversations[0]?.n), 0, 'an unfinished turn is not stored');
    // The first sentence was delivered (and charged); nothing after the client left is.
    const rows = await sql<{ engine: string; status: string }>(
      `SELECT engine, status FROM usage_logs WHERE user_id = $1 AND engine = 'espeak' ORDER BY id`,
      [leaver.id],
    );
    assert.ok(rows.length <= 2, JSON.stringify(rows));
    assert.equal(rows[0]?.status, 'success');
  });

  it('holds one concurrency slot for the whole turn: its stages overlap without refusals', async () => {
    const solo = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'solo@example.com',
      plan: 'single',
      quota_seconds: 1000,
    });
    chat.fault = undefined;
    chat.replyWith = () => THREE_SENTENCES;
    chat.deltaIntervalMs = 80;
    const response = await turn(solo.key, { text: 'talk', stream: true });
    let refusal: { status: number; code: unknown } | undefined;
    const events = await readEvents(response, (event) => {
      if (event.event === 'reply.delta' && !refusal) {
        refusal = { status: 0, code: undefined };
        void requestJson<{ metadata: { error_code: string } }>(`${s.t.url}/tts`, {
          method: 'POST',
          headers: { ...bearer(solo.key), 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ text: 'hello' }),
        }).then((answer) => {
          refusal = { status: answer.status, code: answer.body.metadata.error_code };
        });
      }
    });
    assert.equal(events.at(-1)?.event, 'done', JSON.stringify(events.at(-1)));
    assert.equal(events.filter((event) => event.event === 'audio.delta').length, 3);
    await waitFor(() => refusal?.status !== 0, 'the concurrent /tts answer');
    assert.deepEqual(refusal, { status: 429, code: 'CONCURRENCY_LIMITED' });
    const after = await requestJson(`${s.t.url}/tts`, {
      method: 'POST',
      headers: { ...bearer(solo.key), 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    });
    assert.equal(after.status, 200, 'the slot is given back when the turn ends');
  });
});
