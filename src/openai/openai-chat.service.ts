import { Inject, Injectable } from '@nestjs/common';
import { MeteringService } from '../accounts/metering.service.js';
import { assertPlanAllows, planOf } from '../accounts/plan-policy.js';
import { AppError } from '../common/app-error.js';
import { BOOT_OPTIONS } from '../common/injection-tokens.js';
import { RequestContextStore } from '../common/request-context.js';
import { ConfigService } from '../config/config.service.js';
import { type ChatChainOutcome, ChatEngineChain } from '../engines/chat-engine-chain.js';
import type { ChatReply, ChatRequest, ChatTurn } from '../engines/ports/chat-engine.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { parseTranscribeOptions } from '../stt/dto/transcribe.dto.js';
import { SttService } from '../stt/stt.service.js';
import { TtsService } from '../tts/tts.service.js';
import {
  type ChatCompletion,
  type ChatCompletionAudio,
  type ChatCompletionUsage,
  chatCompletion,
  completionAudio,
  type CompletionIdentity,
  newCompletionIdentity,
  usageOf,
} from './chat-completion-shapes.js';
import type { ChatStreamEnd } from './chat-completion-sse.js';
import { type ChatMessage, type ChatMessagePart, parseChatMessages } from './chat-messages.js';
import {
  type ChatAudioFormat,
  type CreateChatCompletionDto,
  IGNORED_CHAT_FIELDS,
} from './dto/create-chat-completion.dto.js';
import { voiceForOpenAiName } from './openai-voice.js';
import { withTemporaryAudioFile } from './temporary-audio-file.js';
import { estimateTokens } from './token-estimate.js';

/** A request checked, gated and transcribed: what the chat engine chain gets. */
export interface PreparedChat {
  identity: CompletionIdentity;
  model: string;
  request: ChatRequest;
  /** Set when the answer is also spoken (modalities includes audio). */
  audioOut?: { voice: string; format: ChatAudioFormat };
  /** Options the request set that are accepted but not applied. */
  ignoredParams: string[];
}

export interface StreamedChat {
  /** The engine writing the answer. */
  engine: string;
  deltas: AsyncGenerator<string, ChatStreamEnd, void>;
  close: () => Promise<void>;
}

/** OpenAI's audio format names → the TTS encoder's. */
const TTS_FORMATS: Record<ChatAudioFormat, 'wav' | 'mp3' | 'flac' | 'opus' | 'aac' | 'pcm'> = {
  wav: 'wav',
  mp3: 'mp3',
  flac: 'flac',
  opus: 'opus',
  aac: 'aac',
  pcm16: 'pcm',
};

/**
 * POST /v1/chat/completions: OpenAI's chat messages answered by the chat engine chain. Input
 * audio parts are transcribed first (metered as STT; with the grammar of the chain's first
 * engine when it has one, as /conversation does); the reply's tokens are recorded in
 * usage_logs (the engine's count, else estimateTokens); with the audio modality the reply
 * is also synthesised (metered as TTS).
 */
@Injectable()
export class OpenAiChatService {
  constructor(
    private readonly config: ConfigService,
    private readonly chain: ChatEngineChain,
    private readonly stt: SttService,
    private readonly tts: TtsService,
    private readonly metering: MeteringService,
    @Inject(BOOT_OPTIONS) private readonly runtime: GatewayRuntimeInfo,
  ) {}

  /** Everything before the chat engine runs: option checks, the plan gate, the model, input audio. */
  async prepare(body: CreateChatCompletionDto, signal: AbortSignal): Promise<PreparedChat> {
    const audioOut = audioOutputOf(body);
    const account = RequestContextStore.current()?.account;
    if (account) {
      const config = this.config.current;
      assertPlanAllows(account.plan, planOf(config, account.plan), {
        conversation: true,
        streaming: body.stream === true,
      });
    }
    const settings = this.config.current.routers.core.conversation;
    const messages = parseChatMessages(body.messages, { maxTextLength: settings.maxTextLength });
    // Refuses an unknown model before any audio is transcribed.
    this.resolveModel(body.model);
    const history = await this.transcribeMessages(messages, body.model, signal);
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    return {
      identity: newCompletionIdentity(body.model),
      model: body.model,
      request: {
        history,
        ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
        ...(maxTokens !== undefined ? { maxTokens } : {}),
      },
      ...(audioOut
        ? {
            audioOut: {
              voice: voiceForOpenAiName(this.config.current.openai.voiceMap, audioOut.voice),
              format: audioOut.format,
            },
          }
        : {}),
      ignoredParams: IGNORED_CHAT_FIELDS.filter((field) => body[field] !== undefined),
    };
  }

  /** The whole answer at once. */
  async complete(
    chat: PreparedChat,
    signal: AbortSignal,
  ): Promise<{ engine: string; completion: ChatCompletion }> {
    let outcome: ChatChainOutcome;
    try {
      outcome = await this.chain.reply(chat.request, { model: chat.model, signal });
    } catch (error) {
      await this.recordFailure(chat, error);
      throw error;
    }
    const usage = await this.recordUsage(chat, outcome);
    const audio = await this.speak(chat, outcome.reply.text, signal);
    return {
      engine: outcome.engine,
      completion: chatCompletion(chat.identity, outcome.reply.text, usage, audio),
    };
  }

  /**
   * The answer as it is written. Waits for the first delta (or the end), so the engine
   * that serves is known before the caller sends its headers; a chain that fails before
   * then fails the request as a whole. `close()` must run when the response ends (it is
   * safe to call more than once): it stops the chain even if `deltas` was never read, and
   * logs a turn the client left as REQUEST_CANCELLED.
   */
  async stream(chat: PreparedChat, signal: AbortSignal): Promise<StreamedChat> {
    const source = this.chain.stream(chat.request, { model: chat.model, signal });
    let first: IteratorResult<{ engine: string; delta: string }, ChatChainOutcome>;
    try {
      first = await source.next();
    } catch (error) {
      await this.recordFailure(chat, error);
      throw error;
    }
    let settled = false;
    const settle = async (outcome: ChatChainOutcome | { error: unknown }): Promise<ChatStreamEnd> => {
      if ('error' in outcome) {
        if (!settled) await this.recordFailure(chat, outcome.error);
        settled = true;
        throw outcome.error;
      }
      settled = true;
      const usage = await this.recordUsage(chat, outcome);
      const audio = await this.speak(chat, outcome.reply.text, signal);
      return audio ? { usage, audio } : { usage };
    };
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        await source.return(undefined as never).catch(() => undefined);
        if (!settled) {
          settled = true;
          await this.recordFailure(chat, new AppError('REQUEST_CANCELLED', 'The client left the stream.'));
        }
      })());
    async function* deltas(): AsyncGenerator<string, ChatStreamEnd, void> {
      try {
        if (first.done) return await settle(first.value);
        yield first.value.delta;
        for (;;) {
          let next: IteratorResult<{ engine: string; delta: string }, ChatChainOutcome>;
          try {
            next = await source.next();
          } catch (error) {
            return await settle({ error });
          }
          if (next.done) return await settle(next.value);
          yield next.value.delta;
        }
      } finally {
        await close();
      }
    }
    return { engine: first.value.engine, deltas: deltas(), close };
  }

  /** OpenAI answers an unknown model with 404 model_not_found; the SDKs raise NotFoundError. */
  private resolveModel(model: string): void {
    try {
      this.chain.resolve(model);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'VALIDATION_FAILED') throw error;
      throw new AppError('MODEL_NOT_FOUND', error.message, error.details);
    }
  }

  /**
   * Writes the turn's usage row (the engine's token counts; none when it counts none) and
   * answers OpenAI's usage block (the engine's counts, else estimates).
   */
  private async recordUsage(chat: PreparedChat, outcome: ChatChainOutcome): Promise<ChatCompletionUsage> {
    await this.metering.recordChat({
      engine: outcome.engine,
      model: chat.model,
      ...(outcome.reply.usage ? { usage: outcome.reply.usage } : {}),
      status: 'success',
      textLength: textLengthOf(chat.request.history),
    });
    return tokensOf(chat.request.history, outcome.reply);
  }

  /** A turn no engine answered is logged too, under the last engine tried. */
  private async recordFailure(chat: PreparedChat, error: unknown): Promise<void> {
    await this.metering.recordChat({
      engine: RequestContextStore.current()?.engine ?? 'none',
      model: chat.model,
      status: 'error',
      errorCode: error instanceof AppError ? error.code : 'INTERNAL_ERROR',
      textLength: textLengthOf(chat.request.history),
    });
  }

  private async speak(
    chat: PreparedChat,
    text: string,
    signal: AbortSignal,
  ): Promise<ChatCompletionAudio | undefined> {
    if (!chat.audioOut) return undefined;
    const result = await this.tts.synthesize(
      { text, voice: chat.audioOut.voice, format: TTS_FORMATS[chat.audioOut.format] },
      signal,
    );
    return completionAudio(result.audio, text, chat.identity.created);
  }

  /** The messages as chat turns: each input_audio part replaced by its transcript. */
  private async transcribeMessages(
    messages: readonly ChatMessage[],
    model: string,
    signal: AbortSignal,
  ): Promise<ChatTurn[]> {
    const hasAudio = messages.some((message) => message.parts.some((part) => part.kind === 'audio'));
    const grammar = hasAudio ? this.chain.recognitionGrammar(model)?.grammar : undefined;
    const options = parseTranscribeOptions(grammar !== undefined ? { grammar } : {});
    const limit = {
      maxAudioSeconds: this.config.current.routers.core.conversation.maxAudioSeconds,
      limitKey: 'routers.core.conversation.max_audio_seconds',
    };
    const turns: ChatTurn[] = [];
    for (const message of messages) {
      const texts: string[] = [];
      for (const part of message.parts) {
        texts.push(
          part.kind === 'text' ? part.text : await this.transcribePart(part, options, limit, signal),
        );
      }
      turns.push({ role: message.role, content: texts.filter((text) => text !== '').join('\n') });
    }
    return turns;
  }

  private async transcribePart(
    part: Extract<ChatMessagePart, { kind: 'audio' }>,
    options: ReturnType<typeof parseTranscribeOptions>,
    limit: { maxAudioSeconds: number; limitKey: string },
    signal: AbortSignal,
  ): Promise<string> {
    try {
      const outcome = await withTemporaryAudioFile(this.runtime.tempDir, part.audio, (file) =>
        this.stt.transcribeStoredAudio(file, options, signal, limit),
      );
      return outcome.transcript.text.trim();
    } catch (error) {
      throw namingField(error, part.field);
    }
  }
}

function audioOutputOf(
  body: CreateChatCompletionDto,
): { voice: string; format: ChatAudioFormat } | undefined {
  const modalities = body.modalities ?? ['text'];
  if (!modalities.includes('text')) {
    throw invalid('modalities', "modalities must include 'text'");
  }
  if (!modalities.includes('audio')) return undefined;
  if (!body.audio)
    throw invalid('audio', 'audio (voice and format) is required when modalities includes audio');
  return body.audio;
}

function invalid(field: string, reason: string): AppError {
  return new AppError('VALIDATION_FAILED', `${reason}.`, { fields: [{ field, errors: [reason] }] });
}

function textLengthOf(history: readonly ChatTurn[]): number {
  return history.reduce((sum, turn) => sum + turn.content.length, 0);
}

/** The engine's token counts, else estimates from the text (estimateTokens). */
function tokensOf(history: readonly ChatTurn[], reply: ChatReply): ChatCompletionUsage {
  if (reply.usage) return usageOf(reply.usage.promptTokens, reply.usage.completionTokens);
  const prompt = history.reduce((sum, turn) => sum + estimateTokens(turn.content), 0);
  return usageOf(prompt, estimateTokens(reply.text));
}

/** Audio the STT stage refused, with OpenAI's `param` naming the part it came from. */
function namingField(error: unknown, field: string): unknown {
  if (!(error instanceof AppError)) return error;
  if (!['INVALID_AUDIO', 'UNSUPPORTED_MEDIA_TYPE', 'AUDIO_TOO_LONG'].includes(error.code)) return error;
  const details = typeof error.details === 'object' && error.details !== null ? error.details : {};
  return new AppError(
    error.code,
    `${field}: ${error.message}`,
    { ...details, fields: [{ field, errors: [error.message] }] },
    error.headers,
  );
}
