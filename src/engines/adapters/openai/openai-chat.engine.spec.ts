import assert from 'node:assert/strict';
import { rejectsWithKind, throwsNamingOption } from '../../testing/engine-assertions.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { CHAT_ENGINE_FACTORIES } from '../../chat-engine-factories.js';
import type { ChatTurn } from '../../ports/chat-engine.js';
import { EngineError } from '../../ports/engine-error.js';
import { RemoteEngineError } from '../remote/remote-engine-error.js';
import {
  everythingAnErrorShows,
  playTransportFault,
  sendJson,
  useLocalHttpServer,
  type TransportFault,
} from '../remote/testing/local-http-server.js';
import { parseOpenAiChatOptions } from './openai-chat-options.js';
import { OpenAiChatEngine } from './openai-chat.engine.js';
import { openAiChatEngineFactory } from './openai-chat.factory.js';

const KEY = 'sk-chat-test-Zz9Yy8Xx7';
const never = new AbortController().signal;
const MODELS = new Set(['gpt-4o-mini', 'llama-3.1-8b']);
const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'];
const history: ChatTurn[] = [{ role: 'user', content: 'Say hello.' }];

/*
 * A local stand-in for OpenAI's documented POST /v1/chat/completions (model and a
 * non-empty messages list of {role, content} required; temperature 0–2; max_tokens a
 * positive integer; a chat.completion object with choices[].message and finish_reason)
 * and GET /v1/models. The reply quotes the last user turn and counts the turns, so a test
 * sees what arrived.
 */
type Fault = TransportFault | 'http500' | 'http429' | 'malformed_json' | 'content_filter' | 'no_content';
let fault: Fault | undefined;
let lastBody: Record<string, unknown> | undefined;

function openAiError(
  res: ServerResponse,
  status: number,
  message: string,
  param: string | null,
  code: string | null,
) {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param, code } });
}

function complete(res: ServerResponse, json: Record<string, unknown>): void {
  const messages = json.messages;
  if (typeof json.model !== 'string')
    return openAiError(res, 400, "Missing required parameter: 'model'.", 'model', null);
  if (!MODELS.has(json.model)) {
    return openAiError(res, 404, `The model '${json.model}' does not exist.`, 'model', 'model_not_found');
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    return openAiError(res, 400, "'messages' must be a non-empty array.", 'messages', null);
  }
  for (const message of messages as Array<Record<string, unknown>>) {
    if (!ROLES.includes(message.role as string) || typeof message.content !== 'string') {
      return openAiError(res, 400, 'Invalid message in messages.', 'messages', null);
    }
  }
  const temperature = json.temperature ?? 1;
  if (typeof temperature !== 'number' || temperature < 0 || temperature > 2) {
    return openAiError(res, 400, 'temperature must be between 0 and 2.', 'temperature', null);
  }
  const lastUser = [...(messages as ChatTurn[])].reverse().find((message) => message.role === 'user');
  const content =
    fault === 'no_content' ? null : `You said "${lastUser?.content ?? ''}" in ${messages.length} turn(s).`;
  const timer = setTimeout(
    () =>
      sendJson(res, 200, {
        id: 'chatcmpl-local',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: json.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: fault === 'content_filter' ? null : content },
            finish_reason: fault === 'content_filter' ? 'content_filter' : 'stop',
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 },
      }),
    20,
  );
  res.on('close', () => clearTimeout(timer));
}

function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  if (fault === 'hang' || fault === 'reset' || fault === 'slow_stream')
    return playTransportFault(fault, req, res);
  if (req.headers.authorization !== `Bearer ${KEY}`) {
    return openAiError(
      res,
      401,
      `Incorrect API key provided: ${req.headers.authorization ?? ''}.`,
      null,
      'invalid_api_key',
    );
  }
  if (req.method === 'GET' && req.url === '/v1/models') {
    return sendJson(res, 200, { object: 'list', data: [...MODELS].map((id) => ({ id, object: 'model' })) });
  }
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    return openAiError(res, 404, `Unknown route ${req.method} ${req.url}`, null, null);
  }
  switch (fault) {
    case 'http500':
      return openAiError(res, 500, 'The server had an error.', null, null);
    case 'http429':
      return sendJson(res, 429, { error: { message: 'Rate limit reached.' } }, { 'Retry-After': '5' });
    case 'malformed_json':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end('{"choices": [');
    case 'content_filter':
    case 'no_content':
    case undefined:
      break;
  }
  lastBody = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  complete(res, lastBody);
}

const server = useLocalHttpServer(handle);

function makeEngine(extra: Record<string, unknown> = {}): OpenAiChatEngine {
  return new OpenAiChatEngine(
    'chat-test',
    parseOpenAiChatOptions({ base_url: `${server.url}/v1`, api_key: KEY, ...extra }),
  );
}

void describe('OpenAiChatEngine against a local chat completions server', () => {
  afterEach(() => {
    fault = undefined;
  });

  void it('sends the model, the history with the system prompt first, and the sampling options', async () => {
    const engine = makeEngine({ system_prompt: 'Be brief.', temperature: 0.3, max_tokens: 64 });
    assert.equal((await engine.reply({ history }, never)).text, 'You said "Say hello." in 2 turn(s).');
    assert.deepEqual(lastBody, {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello.' },
      ],
      stream: false,
      temperature: 0.3,
      max_tokens: 64,
    });
    assert.deepEqual(engine.capabilities(), { kind: 'remote', models: ['gpt-4o-mini'] });
  });

  void it('keeps a history that has its own system turn as it is', async () => {
    const engine = makeEngine({ system_prompt: 'Be brief.' });
    await engine.reply({ history: [{ role: 'system', content: 'Be verbose.' }, ...history] }, never);
    assert.deepEqual(lastBody?.messages, [{ role: 'system', content: 'Be verbose.' }, ...history]);
  });

  void it('rejects an empty conversation and an aborted signal', async () => {
    await rejectsWithKind(makeEngine().reply({ history: [] }, never), 'invalid_input');
    await rejectsWithKind(makeEngine().reply({ history }, AbortSignal.abort()), 'aborted');
  });

  void it('stops promptly when aborted while the server hangs', async () => {
    fault = 'hang';
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await rejectsWithKind(makeEngine().reply({ history }, controller.signal), 'aborted');
    assert.ok(performance.now() - started < 500);
  });

  void it('times out a hanging server and a trickling answer as transient', async () => {
    for (const kind of ['hang', 'slow_stream'] as const) {
      fault = kind;
      const error = await rejectsWithKind(
        makeEngine({ timeout_seconds: 0.3 }).reply({ history }, never),
        'transient',
      );
      assert.match(error.message, /timed out/);
    }
  });

  void it('maps a reset, 500 and 429 (with Retry-After) to transient', async () => {
    fault = 'reset';
    await rejectsWithKind(makeEngine().reply({ history }, never), 'transient');
    fault = 'http500';
    await rejectsWithKind(makeEngine().reply({ history }, never), 'transient');
    fault = 'http429';
    const error = await rejectsWithKind(makeEngine().reply({ history }, never), 'transient');
    assert.ok(error instanceof RemoteEngineError);
    assert.equal(error.retryAfterSeconds, 5);
  });

  void it('maps a malformed body and a missing content to failed, a content filter to invalid_input', async () => {
    fault = 'malformed_json';
    await rejectsWithKind(makeEngine().reply({ history }, never), 'failed');
    fault = 'no_content';
    await rejectsWithKind(makeEngine().reply({ history }, never), 'failed');
    fault = 'content_filter';
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
