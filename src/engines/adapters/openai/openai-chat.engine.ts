import type { ChatCapabilities, ChatEngine, ChatReply, ChatRequest } from '../../ports/chat-engine.js';
import { EngineError } from '../../ports/engine-error.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import { RemoteConnection } from '../remote/remote-connection.js';
import type { OpenAiChatOptions } from './openai-chat-options.js';

const COMPLETIONS_PATH = '/chat/completions';

interface Choice {
  content: unknown;
  finishReason: unknown;
}

function firstChoice(body: unknown): Choice | undefined {
  const record = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const choice: unknown = Array.isArray(record.choices) ? record.choices[0] : undefined;
  if (!choice || typeof choice !== 'object') return undefined;
  const { message, finish_reason: finishReason } = choice as Record<string, unknown>;
  const content =
    message && typeof message === 'object' ? (message as Record<string, unknown>).content : undefined;
  return { content, finishReason };
}

/**
 * Any server speaking OpenAI's chat completions API (OpenAI, LocalAI, llama.cpp's server,
 * vLLM, Ollama's /v1): one non-streaming POST `{base_url}/chat/completions` per reply with
 * the model and the history, answering the first choice's message content.
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
    return { kind: 'remote', models: this.options.models };
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<string, ChatReply, void> {
    const reply = await this.reply(request, signal);
    yield reply.text;
    return reply;
  }

  async reply({ history }: ChatRequest, signal: AbortSignal): Promise<ChatReply> {
    this.connection.ensureOpen(signal);
    if (history.length === 0 || history.every((turn) => turn.content.trim() === '')) {
      throw new EngineError('invalid_input', 'The conversation is empty.', this.id);
    }
    const { systemPrompt, temperature, maxTokens } = this.options;
    const messages =
      systemPrompt && !history.some((turn) => turn.role === 'system')
        ? [{ role: 'system', content: systemPrompt }, ...history]
        : history;
    const client = this.connection.client;
    const body = await client.sendJson({
      method: 'POST',
      path: COMPLETIONS_PATH,
      json: {
        model: this.options.model,
        messages: messages.map(({ role, content }) => ({ role, content })),
        stream: false,
        ...(temperature !== undefined ? { temperature } : {}),
        ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
      },
      signal,
    });
    const choice = firstChoice(body);
    if (choice?.finishReason === 'content_filter') {
      throw new EngineError(
        'invalid_input',
        `${client.where(COMPLETIONS_PATH)} withheld the reply (content filter).`,
        this.id,
      );
    }
    if (typeof choice?.content !== 'string') {
      throw client.failure(
        `${client.where(COMPLETIONS_PATH)} answered without a message content in choices[0]`,
      );
    }
    return { text: choice.content };
  }

  health(): Promise<EngineHealth> {
    return this.connection.health();
  }

  dispose(): Promise<void> {
    return this.connection.dispose();
  }
}
