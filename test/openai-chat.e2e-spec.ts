import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { probeAudio } from '../src/audio/testing/probe.js';
import { encodeWav } from '../src/audio/wav.js';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  type TestUser,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { type FakeOpenAiChat, startFakeOpenAiChat } from './support/fake-openai-chat.js';
import { POCKETSPHINX_TEST_CONFIG } from './support/speech-fixtures.js';
import {
  deepMerge,
  startTestGateway,
  type TestGateway,
  waitFor,
  waitForVoices,
} from './support/test-gateway.js';

/** The intents the gateway ships (greeting, time, date, help, lights). */
const INTENTS_FILE = fileURLToPath(new URL('../../config/intents.yaml', import.meta.url));
const INTENTS_ENGINE = { id: 'intents', type: 'intents', options: { intents_file: INTENTS_FILE } };
const GREETING = 'Hello! How can I help you?';
const TIME_REPLY = /^It is .+\.$/;

/** An OpenAI SDK error's status, code and param, for one assertion. */
function apiError(error: unknown): { status: number | undefined; code: unknown; param: unknown } {
  assert.ok(error instanceof OpenAI.APIError, String(error));
  return { status: error.status, code: error.code, param: error.param };
}

async function refusal(work: Promise<unknown>): Promise<ReturnType<typeof apiError>> {
  try {
    await work;
  } catch (error) {
    return apiError(error);
  }
  assert.fail('the request was accepted');
}

describe('POST /v1/chat/completions with the official openai SDK', () => {
  let s: SecuredGateway;
  let user: TestUser;
  let client: OpenAI;
  before(async () => {
    s = await startSecuredGateway({
      config: deepMerge(deepMerge(ESPEAK_TEST_CONFIG, POCKETSPHINX_TEST_CONFIG), {
        engines: { chat: [INTENTS_ENGINE] },
        routers: { core: { conversation: { max_audio_seconds: 5 } } },
        rate_limits: {
          plans: {
            free: UNTHROTTLED_PLAN,
            pro: { ...UNTHROTTLED_PLAN, conversation_allowed: false },
          },
        },
      }),
    });
    await waitForVoices(s.t.url, 'language=en-us', 1, bearer(s.adminKey));
    user = await createUserWithKey(s.t.url, s.adminKey, { email: 'chat@example.com' });
    client = new OpenAI({ baseURL: `${s.t.url}/v1`, apiKey: user.key, maxRetries: 0 });
  });
  after(() => s?.t.close());

  it('answers a greeting with the intents engine in OpenAI’s chat.completion shape', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'intents', messages: [{ role: 'user', content: 'Hello there!' }] })
      .withResponse();
    assert.equal(response.headers.get('x-engine'), 'intents');
    assert.equal(data.object, 'chat.completion');
    assert.match(data.id, /^chatcmpl-[0-9a-f]{24}$/);
    assert.equal(data.model, 'intents');
    assert.ok(Math.abs(data.created - Date.now() / 1000) < 60);
    assert.equal(data.choices.length, 1);
    const [choice] = data.choices;
    assert.equal(choice?.finish_reason, 'stop');
    assert.deepEqual(
      { role: choice?.message.role, content: choice?.message.content },
      {
        role: 'assistant',
        content: GREETING,
      },
    );
    // The intents engine counts no tokens: estimated at one per four characters.
    assert.deepEqual(data.usage, {
      prompt_tokens: Math.ceil('Hello there!'.length / 4),
      completion_tokens: Math.ceil(GREETING.length / 4),
      total_tokens: Math.ceil('Hello there!'.length / 4) + Math.ceil(GREETING.length / 4),
    });
  });

  it('accepts the history, developer messages and harmless sampling options', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'intents',
        messages: [
          { role: 'developer', content: 'Answer briefly.' },
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: GREETING },
          { role: 'user', content: [{ type: 'text', text: 'what time is it' }] },
        ],
        temperature: 0.2,
        top_p: 0.9,
        max_completion_tokens: 50,
        n: 1,
        user: 'someone',
      })
      .withResponse();
    assert.match(data.choices[0]?.message.content ?? '', TIME_REPLY);
    assert.equal(response.headers.get('x-ignored-params'), 'top_p');
  });

  it('streams chunks whose deltas join into the reply, then usage and [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: 'intents',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]?.id));
    assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, GREETING);
    const finishes = chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean);
    assert.deepEqual(finishes, ['stop']);
    assert.deepEqual(chunks.at(-1)?.choices, []);
    assert.equal(chunks.at(-1)?.usage?.completion_tokens, Math.ceil(GREETING.length / 4));

    const raw = await fetch(`${s.t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(user.key), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: 'intents',
        messages: [{ role: 'user', content: 'hello' }],
        stream: true,
      }),
    });
    assert.equal(raw.headers.get('content-type'), 'text/event-stream');
    assert.equal(raw.headers.get('x-engine'), 'intents');
    const body = await raw.text();
    assert.ok(body.endsWith('data: [DONE]\n\n'), body.slice(-80));
    assert.ok(!body.includes('"usage"'), 'no usage without stream_options.include_usage');
  });

  it('speaks the reply when modalities include audio', async () => {
    const completion = await client.chat.completions.create({
      model: 'intents',
      messages: [{ role: 'user', content: 'hello' }],
      modalities: ['text', 'audio'],
      audio: { voice: 'alloy', format: 'wav' },
    });
    const message = completion.choices[0]?.message;
    assert.equal(message?.content, GREETING);
    assert.ok(message?.audio);
    assert.equal(message.audio.transcript, GREETING);
    assert.match(message.audio.id, /^audio_/);
    assert.ok(message.audio.expires_at > completion.created);
    const wav = Buffer.from(message.audio.data, 'base64');
    assert.equal(wav.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(wav.subarray(8, 12).toString('latin1'), 'WAVE');
    const probed = await probeAudio(wav);
    assert.equal(probed.codec, 'pcm_s16le');
    assert.ok(probed.decodedSeconds > 0.5, `${probed.decodedSeconds} s`);
  });

  it('transcribes input_audio with the intents grammar and answers the spoken question', async () => {
    const speech = await client.audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input: 'what time is it',
      response_format: 'wav',
    });
    const data = Buffer.from(await speech.arrayBuffer()).toString('base64');
    const { data: completion, response } = await client.chat.completions
      .create({
        model: 'intents',
        messages: [
          { role: 'user', content: [{ type: 'input_audio', input_audio: { data, format: 'wav' } }] },
        ],
      })
      .withResponse();
    assert.equal(response.headers.get('x-engine'), 'intents');
    assert.match(completion.choices[0]?.message.content ?? '', TIME_REPLY);
  });

  it('answers errors in OpenAI’s shape, naming the param', async () => {
    const hello = [{ role: 'user' as const, content: 'hello' }];
    assert.deepEqual(await refusal(client.chat.completions.create({ model: 'gpt-nope', messages: hello })), {
      status: 404,
      code: 'model_not_found',
      param: 'model',
    });
    assert.deepEqual(
      await refusal(client.chat.completions.create({ model: 'intents', messages: hello, n: 2 })),
      {
        status: 400,
        code: 'validation_failed',
        param: 'n',
      },
    );
    assert.deepEqual(await refusal(client.chat.completions.create({ model: 'intents', messages: [] })), {
      status: 400,
      code: 'validation_failed',
      param: 'messages',
    });
    const tools = [{ type: 'function' as const, function: { name: 'lights' } }];
    assert.deepEqual(
      await refusal(client.chat.completions.create({ model: 'intents', messages: hello, tools })),
      { status: 400, code: 'validation_failed', param: 'tools' },
    );
    assert.deepEqual(
      await refusal(
        client.chat.completions.create({
          model: 'intents',
          messages: [
            {
              role: 'user',
              content: [{ type: 'input_audio', input_audio: { data: 'no base64!', format: 'wav' } }],
            },
          ],
        }),
      ),
      { status: 400, code: 'validation_failed', param: 'messages[0].content[0].input_audio.data' },
    );
    assert.deepEqual(
      await refusal(
        client.chat.completions.create({
          model: 'intents',
          messages: [
            {
              role: 'user',
              content: [
                {
                  type: 'input_audio',
                  input_audio: { data: Buffer.from('not audio at all').toString('base64'), format: 'wav' },
                },
              ],
            },
          ],
        }),
      ),
      { status: 415, code: 'unsupported_media_type', param: 'messages[0].content[0].input_audio.data' },
    );
    const sixSeconds = encodeWav(new Int16Array(16000 * 6), 16000).toString('base64');
    assert.deepEqual(
      await refusal(
        client.chat.completions.create({
          model: 'intents',
          messages: [
            { role: 'user', content: 'hello' },
            { role: 'assistant', content: GREETING },
            {
              role: 'user',
              content: [{ type: 'input_audio', input_audio: { data: sixSeconds, format: 'wav' } }],
            },
          ],
        }),
      ),
      { status: 413, code: 'audio_too_long', param: 'messages[2].content[0].input_audio.data' },
    );
    assert.deepEqual(
      await refusal(
        client.chat.completions.create({ model: 'intents', messages: hello, modalities: ['text', 'audio'] }),
      ),
      { status: 400, code: 'validation_failed', param: 'audio' },
    );
    assert.deepEqual(
      await refusal(
        client.chat.completions.create({
          model: 'intents',
          messages: [{ role: 'user', content: 'x'.repeat(2001) }],
        }),
      ),
      { status: 400, code: 'text_too_long', param: 'messages[0].content' },
    );
  });

  it('logs each turn in usage_logs and charges the speech it transcribed and spoke', async () => {
    interface Row {
      endpoint: string;
      engine: string;
      model: string | null;
      status: string;
      error_code: string | null;
      audio_seconds: number;
      prompt_tokens: number | null;
    }
    const rows = await s.t.gateway.database.dataSource.query<Row[]>(
      `SELECT endpoint, engine, model, status, error_code, audio_seconds::float8 AS audio_seconds, prompt_tokens
         FROM usage_logs WHERE user_id = $1 ORDER BY id`,
      [user.id],
    );
    const chat = rows.filter((row) => row.endpoint === '/v1/chat/completions');
    const turns = chat.filter((row) => row.engine === 'intents' && row.status === 'success');
    // greeting, history, 2 streams, audio out, audio in; the intents engine counts no tokens.
    assert.equal(turns.length, 6, JSON.stringify(chat));
    assert.ok(
      turns.every((row) => row.model === 'intents' && row.audio_seconds === 0 && row.prompt_tokens === null),
    );
    const speech = chat.filter((row) => row.engine === 'espeak' && row.status === 'success');
    assert.equal(speech.length, 1, 'the spoken reply');
    assert.ok((speech[0]?.audio_seconds ?? 0) > 0.5);
    const heard = chat.filter((row) => row.engine === 'pocketsphinx' && row.status === 'success');
    assert.equal(heard.length, 1, 'the spoken question');
    assert.ok((heard[0]?.audio_seconds ?? 0) > 0.3);
  });

  it('lists every chat engine among the models', async () => {
    const models = await client.models.list();
    assert.ok(models.data.some((m) => m.id === 'intents'));
  });

  it('refuses a plan without conversation and a key without the conversation scope', async () => {
    const pro = await createUserWithKey(s.t.url, s.adminKey, { email: 'pro@example.com', plan: 'pro' });
    const ttsOnly = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'tts@example.com',
      scopes: ['tts'],
    });
    for (const [key, code] of [
      [pro.key, 'plan_feature_disabled'],
      [ttsOnly.key, 'insufficient_scope'],
    ] as const) {
      const other = new OpenAI({ baseURL: `${s.t.url}/v1`, apiKey: key, maxRetries: 0 });
      const refused = await refusal(
        other.chat.completions.create({ model: 'intents', messages: [{ role: 'user', content: 'hello' }] }),
      );
      assert.deepEqual([refused.status, refused.code], [403, code]);
    }
  });
});

/** A second gateway whose chat engine is the first gateway, reached through its /v1 chat surface. */
describe('an OpenAI chat engine pointing at another speech-gateway', () => {
  let upstream: SecuredGateway;
  let gateway: TestGateway;
  before(async () => {
    upstream = await startSecuredGateway({
      config: {
        // The intents engine runs in-process, as a library.
        features: { library_integration: true },
        engines: { chat: [INTENTS_ENGINE] },
        rate_limits: { plans: { free: UNTHROTTLED_PLAN } },
      },
    });
    const peerUser = await createUserWithKey(upstream.t.url, upstream.adminKey, {
      email: 'peer@example.com',
    });
    gateway = await startTestGateway({
      config: {
        engines: {
          chat: [
            {
              id: 'peer',
              type: 'openai',
              options: { base_url: `${upstream.t.url}/v1`, api_key: peerUser.key, model: 'intents' },
            },
          ],
        },
      },
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.t.close();
  });

  it('holds a conversation through the upstream gateway', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'keyless-dev', maxRetries: 0 });
    const first = await client.chat.completions
      .create({ model: 'peer', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    assert.equal(first.response.headers.get('x-engine'), 'peer');
    const greeting = first.data.choices[0]?.message.content ?? '';
    assert.equal(greeting, GREETING);
    // The upstream's estimate, passed through as the peer engine's own count.
    assert.deepEqual(first.data.usage, { prompt_tokens: 2, completion_tokens: 7, total_tokens: 9 });
    // A model the peer engine serves names it too; the history goes upstream with the new turn.
    const second = await client.chat.completions.create({
      model: 'intents',
      messages: [
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: greeting },
        { role: 'user', content: 'what time is it' },
      ],
      stream: true,
    });
    let text = '';
    for await (const chunk of second) text += chunk.choices[0]?.delta.content ?? '';
    assert.match(text, TIME_REPLY);
  });
});

/** A remote LLM (a local fake of OpenAI's chat API) behind the gateway's chat surface. */
describe('chat completions answered by a remote LLM engine', () => {
  let llm: FakeOpenAiChat;
  let gateway: TestGateway;
  before(async () => {
    llm = await startFakeOpenAiChat();
    gateway = await startTestGateway({
      config: {
        engines: {
          chat: [
            {
              id: 'llm',
              type: 'openai',
              options: { base_url: llm.baseUrl, api_key: llm.key, model: 'gpt-4o-mini' },
            },
          ],
        },
        openai: { chat_models: { 'my-assistant': 'llm' } },
      },
    });
  });
  after(async () => {
    await gateway?.close();
    await llm?.close();
  });

  it('reports the engine’s own token counts and answers openai.chat_models names', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'keyless-dev', maxRetries: 0 });
    llm.replyWith = () => 'Four words of reply.';
    const completion = await client.chat.completions.create({
      model: 'my-assistant',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say four words please.' },
      ],
    });
    assert.equal(completion.choices[0]?.message.content, 'Four words of reply.');
    // The fake counts words: 2 + 4 in the prompt, 4 in the reply.
    assert.deepEqual(completion.usage, { prompt_tokens: 6, completion_tokens: 4, total_tokens: 10 });
    const models = (await client.models.list()).data.map((m) => m.id);
    assert.ok(models.includes('llm') && models.includes('my-assistant'), models.join(', '));
  });

  it('stops the engine when the client leaves a streamed answer', async () => {
    llm.replyWith = () => Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    llm.deltaIntervalMs = 100;
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'llm', messages: [{ role: 'user', content: 'talk' }], stream: true }),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-engine'), 'llm');
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.match(Buffer.from(first.value ?? []).toString('utf8'), /chat\.completion\.chunk/);
    const before = llm.cutOff;
    controller.abort();
    await waitFor(() => llm.cutOff > before, 'the engine’s stream to be cut off', 3000);
  });
});
