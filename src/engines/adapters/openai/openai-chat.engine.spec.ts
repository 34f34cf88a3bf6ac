import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { type FakeOpenAiChat, startFakeOpenAiChat } from '../../../../test/support/fake-openai-chat.js';
import { rejectsWithKind, throwsNamingOption } from '../../testing/engine-assertions.js';
import { CHAT_ENGINE_FACTORIES } from '../../chat-engine-factories.js';
import type { ChatReply, ChatTurn } from '../../ports/chat-engine.js';
import { EngineError } from '../../ports/engine-error.js';
import { RemoteEngineError } from '../remote/remote-engine-error.js';
import { everythingAnErrorShows } from '../remote/testing/local-http-server.js';
import { parseOpenAiChatOptions } from './openai-chat-options.js';
import { OpenAiChatEngine } from './openai-chat.engine.js';
import { openAiChatEngineFactory } from './openai-chat.factory.js';

const never = new AbortController().signal;
const history: ChatTurn[] = [{ role: 'user', content: 'Say hello.' }];
const ECHO = 'You said "Say hello." in 1 turn(s).';

/* The server is test/support/fake-openai-chat.ts: OpenAI's documented contract, streaming included. */
let server: FakeOpenAiChat;
before(async () => {
  server = await startFakeOpenAiChat();
});
after(() => server.close());

function makeEngine(extra: Record<string, unknown> = {}): OpenAiChatEngine {
  return new OpenAiChatEngine(
    'chat-test',
    parseOpenAiChatOptions({ base_url: server.baseUrl, api_key: server.key, ...extra }),
  );
}

/** Drains a stream: its deltas and the reply it returns. */
async function drain(
  stream: AsyncGenerator<string, ChatReply, void>,
): Promise<{ deltas: string[]; reply: ChatReply }> {
  const deltas: string[] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) return { deltas, reply: next.value };
    deltas.push(next.value);
  }
}

/** Resolves once `condition` holds, polling; fails after `ms`. */
async function eventually(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

void describe('OpenAiChatEngine against a local chat completions server', () => {
  afterEach(() => {
    server.fault = undefined;
    server.deltaIntervalMs = 5;
  });

  void it('sends the model, the history with the system prompt first, and the sampling options', async () => {
    const engine = makeEngine({ system_prompt: 'Be brief.', temperature: 0.3, max_tokens: 64 });
    const reply = await engine.reply({ history }, never);
    assert.deepEqual(reply, {
      text: 'You said "Say hello." in 2 turn(s).',
      usage: { promptTokens: 4, completionTokens: 7 },
    });
    assert.deepEqual(server.requests.at(-1), {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello.' },
      ],
      stream: false,
      temperature: 0.3,
      max_tokens: 64,
    });
    assert.deepEqual(engine.capabilities(), { models: ['gpt-4o-mini'] });
  });

  void it('keeps a history that has its own system turn as it is', async () => {
    const engine = makeEngine({ system_prompt: 'Be brief.' });
    await engine.reply({ history: [{ role: 'system', content: 'Be verbose.' }, ...history] }, never);
    assert.deepEqual(server.requests.at(-1)?.messages, [
      { role: 'system', content: 'Be verbose.' },
      ...history,
    ]);
  });

  void it('rejects an empty conversation and an aborted signal', async () => {
    await rejectsWithKind(makeEngine().reply({ history: [] }, never), 'invalid_input');
    await rejectsWithKind(makeEngine().reply({ history }, AbortSignal.abort()), 'aborted');
  });

  void it('stops promptly when aborted while the server hangs', async () => {
    server.fault = 'hang';
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await rejectsWithKind(makeEngine().reply({ history }, controller.signal), 'aborted');
    assert.ok(performance.now() - started < 500);
  });

  void it('times out a hanging server and a trickling answer as transient', async () => {
    for (const kind of ['hang', 'slow_stream'] as const) {
      server.fault = kind;
      const error = await rejectsWithKind(
        makeEngine({ timeout_seconds: 0.3 }).reply({ history }, never),
        'transient',
      );
      assert.match(error.message, /timed out/);
    }
  });

  void it('maps a reset, 500 and 429 (with Retry-After) to transient', async () => {
    server.fault = 'reset';
    await rejectsWithKind(makeEngine().reply({ history }, never), 'transient');
    server.fault = 'http500';
    await rejectsWithKind(makeEngine().reply({ history }, never), 'transient');
    server.fault = 'http429';
    const error = await rejectsWithKind(makeEngine().reply({ history }, never), 'transient');
    assert.ok(error instanceof RemoteEngineError);
    assert.equal(error.retryAfterSeconds, 5);
  });

  void it('maps a malformed body and a missing content to failed, a content filter to invalid_input', async () => {
    server.fault = 'malformed';
    await rejectsWithKind(makeEngine().reply({ history }, never), 'failed');
    server.fault = 'no_content';
    await rejectsWithKind(makeEngine().reply({ history }, never), 'failed');
    server.fault = 'content_filter';
    await rejectsWithKind(makeEngine().reply({ history }, never), 'invalid_input');
  });

  void it('maps an unknown model to unavailable and a wrong key to unavailable without repeating it', async () => {
    await rejectsWithKind(makeEngine({ model: 'no-such-model' }).reply({ history }, never), 'unavailable');
    const wrong = 'sk-wrong-Chat-Secret-4321';
    const engine = makeEngine({ api_key: wrong });
    const error = await rejectsWithKind(engine.reply({ history }, never), 'unavailable');
    assert.ok(!everythingAnErrorShows(error).includes(wrong));
    assert.equal((await engine.health()).available, false);
  });

  void it('is healthy, disposes twice and then refuses work', async () => {
    const engine = makeEngine({ model: 'llama-3.1-8b', models: ['llama-3.1-8b', 'llama-3.1-70b'] });
    assert.deepEqual(await engine.health(), { available: true });
    assert.deepEqual(engine.capabilities().models, ['llama-3.1-8b', 'llama-3.1-70b']);
    await engine.dispose();
    await engine.dispose();
    await assert.rejects(engine.reply({ history }, never), EngineError);
  });
});

void describe('OpenAiChatEngine streaming (server-sent events)', () => {
  afterEach(() => {
    server.fault = undefined;
    server.deltaIntervalMs = 5;
  });

  void it('asks for a stream with usage and yields each delta, returning the whole reply and its tokens', async () => {
    const { deltas, reply } = await drain(makeEngine().stream({ history }, never));
    assert.deepEqual(deltas, ['You', ' said', ' "Say', ' hello."', ' in', ' 1', ' turn(s).']);
    assert.deepEqual(reply, { text: ECHO, usage: { promptTokens: 2, completionTokens: 7 } });
    const sent = server.requests.at(-1);
    assert.equal(sent?.stream, true);
    assert.deepEqual(sent?.stream_options, { include_usage: true });
  });

  void it("lets the request's temperature and max_tokens override the entry's", async () => {
    const engine = makeEngine({ temperature: 0.3, max_tokens: 64 });
    await drain(engine.stream({ history, temperature: 1.5, maxTokens: 7 }, never));
    assert.equal(server.requests.at(-1)?.temperature, 1.5);
    assert.equal(server.requests.at(-1)?.max_tokens, 7);
    await engine.reply({ history, temperature: 0 }, never);
    assert.equal(server.requests.at(-1)?.temperature, 0);
    assert.equal(server.requests.at(-1)?.max_tokens, 64);
  });

  void it('closes the connection when aborted mid-stream', async () => {
    server.deltaIntervalMs = 100;
    const controller = new AbortController();
    const stream = makeEngine().stream({ history }, controller.signal);
    const cutBefore = server.cutOff;
    assert.deepEqual(await stream.next(), { done: false, value: 'You' });
    controller.abort();
    await rejectsWithKind(stream.next(), 'aborted');
    await eventually(() => server.cutOff === cutBefore + 1);
  });

  void it('closes the connection when the consumer stops reading', async () => {
    server.deltaIntervalMs = 100;
    const stream = makeEngine().stream({ history }, never);
    const cutBefore = server.cutOff;
    await stream.next();
    await stream.return({ text: '' });
    await eventually(() => server.cutOff === cutBefore + 1);
  });

  void it('fails a malformed event, a cut connection and a stream without an end', async () => {
    server.fault = 'malformed';
    const malformed = await rejectsWithKind(drain(makeEngine().stream({ history }, never)), 'failed');
    assert.match(malformed.message, /not JSON/);
    server.fault = 'cut_stream';
    await rejectsWithKind(drain(makeEngine().stream({ history }, never)), 'transient');
    server.fault = 'stall_stream';
    const stalled = await rejectsWithKind(
      drain(makeEngine({ timeout_seconds: 0.3 }).stream({ history }, never)),
      'transient',
    );
    assert.match(stalled.message, /timed out/);
  });

  void it('maps HTTP errors before the stream like reply() does', async () => {
    server.fault = 'http429';
    const error = await rejectsWithKind(drain(makeEngine().stream({ history }, never)), 'transient');
    assert.ok(error instanceof RemoteEngineError);
    assert.equal(error.retryAfterSeconds, 5);
    server.fault = undefined;
    await rejectsWithKind(drain(makeEngine({ model: 'nope' }).stream({ history }, never)), 'unavailable');
    server.fault = 'content_filter';
    await rejectsWithKind(drain(makeEngine().stream({ history }, never)), 'invalid_input');
  });

  void it('takes a whole JSON answer from a server that does not stream', async () => {
    server.fault = 'no_streaming';
    const { deltas, reply } = await drain(makeEngine().stream({ history }, never));
    assert.deepEqual(deltas, [ECHO]);
    assert.deepEqual(reply.usage, { promptTokens: 2, completionTokens: 7 });
  });
});

void describe('openai chat options', () => {
  const base = { base_url: 'http://127.0.0.1:11434/v1' };
  const throwsNaming = (raw: Record<string, unknown>, option: string) =>
    throwsNamingOption(() => parseOpenAiChatOptions(raw, {}), option);

  void it('applies the defaults and names the option that is wrong', () => {
    const options = parseOpenAiChatOptions(base);
    assert.equal(options.model, 'gpt-4o-mini');
    assert.deepEqual(options.models, ['gpt-4o-mini']);
    assert.equal(options.timeoutMs, 60_000);
    throwsNaming({}, 'base_url');
    throwsNaming({ ...base, temperature: 3 }, 'temperature');
    throwsNaming({ ...base, max_tokens: 1.5 }, 'max_tokens');
    throwsNaming({ ...base, system_prompt: '' }, 'system_prompt');
    throwsNaming({ ...base, voices: [] }, 'voices');
  });

  void it('registers as type openai, kind remote, in the list of chat adapters', () => {
    assert.ok(CHAT_ENGINE_FACTORIES.includes(openAiChatEngineFactory));
    assert.equal(openAiChatEngineFactory.type, 'openai');
    assert.equal(openAiChatEngineFactory.kind, 'remote');
  });
});
