import type {
  ChatCapabilities,
  ChatEngine,
  ChatReply,
  ChatRequest,
  ChatUsage,
} from '../../ports/chat-engine.js';
import { EngineError } from '../../ports/engine-error.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import { RemoteConnection } from '../remote/remote-connection.js';
import type { RemoteCall, RemoteHttpClient } from '../remote/remote-http-client.js';
import { readServerSentEvents, ServerSentEventsError } from '../remote/server-sent-events.js';
import type { OpenAiChatOptions } from './openai-chat-options.js';

const COMPLETIONS_PATH = '/chat/completions';
/** The last event of an OpenAI stream. */
const DONE = '[DONE]';

interface Choice {
  /** message.content (whole reply) or delta.content (stream chunk). */
  content: unknown;
  finishReason: unknown;
}

function recordOf(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** choices[0]'s `message` (whole reply) or `delta` (stream chunk) content and its finish_reason. */
function firstChoice(body: unknown, part: 'message' | 'delta'): Choice | undefined {
  const record = recordOf(body);
  const choice: unknown = Array.isArray(record.choices) ? record.choices[0] : undefined;
  if (!choice || typeof choice !== 'object') return undefined;
  const { [part]: message, finish_reason: finishReason } = choice as Record<string, unknown>;
  return { content: recordOf(message).content, finishReason };
}

/** `usage.prompt_tokens` / `completion_tokens` when the server counted them. */
function usageOf(body: unknown): ChatUsage | undefined {
  const { prompt_tokens: prompt, completion_tokens: completion } = recordOf(recordOf(body).usage);
  const count = (value: unknown): value is number =>
    typeof value === 'number' && Number.isInteger(value) && value >= 0;
  return count(prompt) && count(completion)
    ? { promptTokens: prompt, completionTokens: completion }
    : undefined;
}

/**
 * Any server speaking OpenAI's chat completions API (OpenAI, LocalAI, llama.cpp's server,
 * vLLM, Ollama's /v1): POST `{base_url}/chat/completions` with the model and the history.
 * reply() asks for the whole answer; stream() asks for server-sent events (`stream: true`,
 * usage in the last chunk) and yields each `choices[0].delta.content` as it arrives.
 */
export class OpenAiChatEngine implements ChatEngine {
  readonly type = 'openai';
  private readonly connection: RemoteConnection;

  constructor(
    readonly id: string,
    private readonly options: OpenAiChatOptions,
  ) {
    this.connection = new RemoteConnection(id, options);
  }

  capabilities(): ChatCapabilities {
    return { models: this.options.models };
  }

  async reply(request: ChatRequest, signal: AbortSignal): Promise<ChatReply> {
    const call = this.completionCall(request, signal, false);
    const client = this.connection.client;
    const body = await client.sendJson(call);
    return this.wholeReply(client, body);
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<string, ChatReply, void> {
    const call = this.completionCall(request, signal, true);
    const client = this.connection.client;
    const answer = await client.sendStreaming(call);
    if (answer.contentType !== 'text/event-stream') {
      // A server that cannot stream may answer the whole completion instead: take it.
      const chunks: Uint8Array[] = [];
      for await (const chunk of answer.body) chunks.push(chunk);
      const reply = this.wholeReply(
        client,
        client.readJson(call, { ...answer, body: new Uint8Array(Buffer.concat(chunks)) }),
      );
      if (reply.text !== '') yield reply.text;
      return reply;
    }
    const where = client.where(COMPLETIONS_PATH);
    let text = '';
    let usage: ChatUsage | undefined;
    let finished = false;
    try {
      for await (const event of readServerSentEvents(answer.body)) {
        if (event.data === DONE) return { text, ...(usage ? { usage } : {}) };
        let chunk: unknown;
        try {
          chunk = JSON.parse(event.data);
        } catch (error) {
          throw client.failure(
            `${where} streamed an event that is not JSON${client.quote(event.data.slice(0, 80))}`,
            error,
          );
        }
        if (recordOf(chunk).error !== undefined) {
          throw client.failure(
            `${where} reported an error mid-stream${client.quote(JSON.stringify(recordOf(chunk).error))}`,
          );
        }
        usage = usageOf(chunk) ?? usage;
        const choice = firstChoice(chunk, 'delta');
        if (choice?.finishReason === 'content_filter') throw this.filtered(client);
        if (typeof choice?.finishReason === 'string') finished = true;
        if (typeof choice?.content === 'string' && choice.content !== '') {
          text += choice.content;
          yield choice.content;
        }
      }
    } catch (error) {
      if (error instanceof ServerSentEventsError) {
        throw client.failure(`${where} streamed something other than server-sent events (${error.message})`);
      }
      throw error;
    }
    // The documented stream ends with [DONE]; without it, only a stream that said why it stopped is whole.
    if (!finished) throw client.failure(`${where} ended the stream before the reply was complete`);
    return { text, ...(usage ? { usage } : {}) };
  }

  health(): Promise<EngineHealth> {
    return this.connection.health();
  }

  dispose(): Promise<void> {
    return this.connection.dispose();
  }

  private completionCall(
    { history, temperature, maxTokens }: ChatRequest,
    signal: AbortSignal,
    stream: boolean,
  ): RemoteCall {
    this.connection.ensureOpen(signal);
    if (history.length === 0 || history.every((turn) => turn.content.trim() === '')) {
      throw new EngineError('invalid_input', 'The conversation is empty.', this.id);
    }
    const { systemPrompt } = this.options;
    // The request's sampling settings win over the entry's options.
    const useTemperature = temperature ?? this.options.temperature;
    const useMaxTokens = maxTokens ?? this.options.maxTokens;
    const messages =
      systemPrompt && !history.some((turn) => turn.role === 'system')
        ? [{ role: 'system', content: systemPrompt }, ...history]
        : history;
    return {
      method: 'POST',
      path: COMPLETIONS_PATH,
      json: {
        model: this.options.model,
        messages: messages.map(({ role, content }) => ({ role, content })),
        stream,
        ...(stream ? { stream_options: { include_usage: true } } : {}),
        ...(useTemperature !== undefined ? { temperature: useTemperature } : {}),
        ...(useMaxTokens !== undefined ? { max_tokens: useMaxTokens } : {}),
      },
      signal,
    };
  }

  private wholeReply(client: RemoteHttpClient, body: unknown): ChatReply {
    const choice = firstChoice(body, 'message');
    if (choice?.finishReason === 'content_filter') throw this.filtered(client);
    if (typeof choice?.content !== 'string') {
      throw client.failure(
        `${client.where(COMPLETIONS_PATH)} answered without a message content in choices[0]`,
      );
    }
    const usage = usageOf(body);
    return { text: choice.content, ...(usage ? { usage } : {}) };
  }

  private filtered(client: RemoteHttpClient): EngineError {
    return new EngineError(
      'invalid_input',
      `${client.where(COMPLETIONS_PATH)} withheld the reply (content filter).`,
      this.id,
    );
  }
}
