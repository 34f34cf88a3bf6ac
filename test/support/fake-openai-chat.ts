import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type LocalHttpServer,
  playTransportFault,
  sendJson,
  startLocalHttpServer,
  type TransportFault,
} from '../../src/engines/adapters/remote/testing/local-http-server.js';

/*
 * A local stand-in for OpenAI's documented chat completions API, for specs and e2e tests:
 *
 * - GET /v1/models: the model list.
 * - POST /v1/chat/completions: `model` (one of `models`) and a non-empty `messages` list of
 *   {role, content} required; `temperature` 0–2; `max_tokens` a positive integer. Without
 *   `stream` it answers a `chat.completion` object (choices[0].message, finish_reason,
 *   usage). With `stream: true` it answers `text/event-stream`: one `data: {chunk}` event
 *   per `chat.completion.chunk` — first the assistant role, then one content delta per
 *   word, then an empty delta with finish_reason "stop", then (with
 *   `stream_options.include_usage`) a chunk with `choices: []` and usage — and finally
 *   `data: [DONE]`.
 * - A wrong key: 401 invalid_api_key. Errors use OpenAI's {error: {message, type, param, code}}.
 *
 * The reply defaults to `You said "<last user turn>" in <n> turn(s).`; usage counts words:
 * prompt_tokens the words of every message, completion_tokens the words of the reply.
 *
 *   const chat = await startFakeOpenAiChat();
 *   // engines.chat: [{ id: llm, type: openai, options: { base_url: chat.baseUrl, api_key: chat.key } }]
 *   chat.fault = 'http500';          // what the next requests meet (undefined: the contract)
 *   chat.replyWith = () => 'Hi';     // the reply text
 *   chat.deltaIntervalMs = 50;       // pause between streamed chunks
 *   chat.requests.at(-1);            // request bodies received, parsed
 *   await chat.close();
 */

export type FakeChatFault =
  | TransportFault
  /** 500 server error. */
  | 'http500'
  /** 429 with Retry-After: 5. */
  | 'http429'
  /** A 200 whose body is not JSON (whole reply) or an event that is not JSON (stream). */
  | 'malformed'
  /** finish_reason content_filter without content. */
  | 'content_filter'
  /** message.content null (whole reply). */
  | 'no_content'
  /** The stream's connection is cut after two content deltas. */
  | 'cut_stream'
  /** The stream stops after two content deltas and then stays silent (connection open). */
  | 'stall_stream'
  /** Ignores `stream: true` and answers the whole completion as JSON. */
  | 'no_streaming';

export interface FakeOpenAiChat {
  /** The server's root, http://127.0.0.1:<port>. */
  readonly url: string;
  /** `base_url` for an engine entry: `${url}/v1`. */
  readonly baseUrl: string;
  /** The API key the server accepts. */
  readonly key: string;
  /** What the next requests meet; undefined answers by the contract. */
  fault: FakeChatFault | undefined;
  /** The reply text for a request's messages. */
  replyWith: (messages: ReadonlyArray<{ role: string; content: string }>) => string;
  /** Pause before each streamed chunk and before a whole reply, ms. Default 5. */
  deltaIntervalMs: number;
  /** Bodies of the POST /v1/chat/completions requests that got past authentication, oldest first. */
  readonly requests: Array<Record<string, unknown>>;
  /** Answers the client cut off before they were complete (aborts, deadlines). */
  readonly cutOff: number;
  close(): Promise<void>;
}

export interface FakeOpenAiChatOptions {
  key?: string;
  models?: readonly string[];
}

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'];

function openAiError(
  res: ServerResponse,
  status: number,
  message: string,
  param: string | null,
  code: string | null,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param, code } }, headers);
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

export async function startFakeOpenAiChat(options: FakeOpenAiChatOptions = {}): Promise<FakeOpenAiChat> {
  const key = options.key ?? 'sk-fake-chat-Qq7Ww6Ee5';
  const models = new Set(options.models ?? ['gpt-4o-mini', 'llama-3.1-8b']);
  const requests: Array<Record<string, unknown>> = [];
  const state = {
    fault: undefined as FakeChatFault | undefined,
    replyWith: (messages: ReadonlyArray<{ role: string; content: string }>): string => {
      const lastUser = [...messages].reverse().find((message) => message.role === 'user');
      return `You said "${lastUser?.content ?? ''}" in ${messages.length} turn(s).`;
    },
    deltaIntervalMs: 5,
  };

  /** Sends events one by one, `deltaIntervalMs` apart; stops when the client goes away. */
  function sendEvents(res: ServerResponse, events: string[], then: 'end' | 'cut' | 'stall'): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    let at = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (at >= events.length) {
        if (then === 'end') res.end();
        else if (then === 'cut') res.socket?.destroy();
        return;
      }
      res.write(`data: ${events[at++]}\n\n`);
      timer = setTimeout(next, state.deltaIntervalMs);
    };
    let timer = setTimeout(next, state.deltaIntervalMs);
    res.on('close', () => clearTimeout(timer));
  }

  function complete(res: ServerResponse, json: Record<string, unknown>): void {
    const messages = json.messages;
    if (typeof json.model !== 'string') {
      return openAiError(res, 400, "Missing required parameter: 'model'.", 'model', null);
    }
    if (!models.has(json.model)) {
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
    const maxTokens = json.max_tokens;
    if (
      maxTokens !== undefined &&
      (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)
    ) {
      return openAiError(res, 400, 'max_tokens must be a positive integer.', 'max_tokens', null);
    }
    const turns = messages as Array<{ role: string; content: string }>;
    const text = state.replyWith(turns);
    const usage = {
      prompt_tokens: turns.reduce((sum, turn) => sum + words(turn.content).length, 0),
      completion_tokens: words(text).length,
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const base = { id: 'chatcmpl-fake', created: Math.floor(Date.now() / 1000), model: json.model };
    const filtered = state.fault === 'content_filter';
    if (json.stream === true && state.fault !== 'no_streaming') {
      const chunk = (delta: Record<string, unknown>, finishReason: string | null): string =>
        JSON.stringify({
          ...base,
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta, finish_reason: finishReason }],
        });
      const pieces = filtered ? [] : words(text).map((word, index) => (index === 0 ? word : ` ${word}`));
      const events = [
        chunk({ role: 'assistant', content: '' }, null),
        ...pieces.map((content) => chunk({ content }, null)),
      ];
      if (state.fault === 'cut_stream' || state.fault === 'stall_stream') {
        return sendEvents(res, events.slice(0, 3), state.fault === 'cut_stream' ? 'cut' : 'stall');
      }
      if (state.fault === 'malformed') events.push('{"choices": [');
      events.push(chunk({}, filtered ? 'content_filter' : 'stop'));
      const streamOptions = json.stream_options as Record<string, unknown> | undefined;
      if (streamOptions?.include_usage === true) {
        events.push(JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage }));
      }
      events.push('[DONE]');
      return sendEvents(res, events, 'end');
    }
    if (state.fault === 'malformed') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end('{"choices": [');
    }
    const timer = setTimeout(
      () =>
        sendJson(res, 200, {
          ...base,
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: filtered || state.fault === 'no_content' ? null : text },
              finish_reason: filtered ? 'content_filter' : 'stop',
            },
          ],
          usage,
        }),
      state.deltaIntervalMs,
    );
    res.on('close', () => clearTimeout(timer));
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const fault = state.fault;
    if (fault === 'hang' || fault === 'reset' || fault === 'slow_stream')
      return playTransportFault(fault, req, res);
    if (req.headers.authorization !== `Bearer ${key}`) {
      return openAiError(
        res,
        401,
        `Incorrect API key provided: ${req.headers.authorization ?? ''}.`,
        null,
        'invalid_api_key',
      );
    }
    if (req.method === 'GET' && req.url === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [...models].map((id) => ({ id, object: 'model' })) });
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return openAiError(res, 404, `Unknown route ${req.method} ${req.url}`, null, null);
    }
    if (fault === 'http500') return openAiError(res, 500, 'The server had an error.', null, null);
    if (fault === 'http429')
      return openAiError(res, 429, 'Rate limit reached.', null, 'rate_limit_exceeded', {
        'Retry-After': '5',
      });
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return openAiError(res, 400, 'We could not parse the JSON body of your request.', null, null);
    }
    requests.push(json);
    complete(res, json);
  }

  const server: LocalHttpServer = await startLocalHttpServer(handle);
  return {
    url: server.url,
    baseUrl: `${server.url}/v1`,
    key,
    requests,
    get fault() {
      return state.fault;
    },
    set fault(value) {
      state.fault = value;
    },
    get replyWith() {
      return state.replyWith;
    },
    set replyWith(value) {
      state.replyWith = value;
    },
    get deltaIntervalMs() {
      return state.deltaIntervalMs;
    },
    set deltaIntervalMs(value) {
      state.deltaIntervalMs = value;
    },
    get cutOff() {
      return server.cutOff;
    },
    close: () => server.close(),
  };
}
