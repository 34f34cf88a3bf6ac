import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { MeteringService } from '../accounts/metering.service.js';
import type { OutputFormat } from '../audio/audio-format.js';
import { AppError } from '../common/app-error.js';
import { ConfigService } from '../config/config.service.js';
import { ChatEngineChain } from '../engines/chat-engine-chain.js';
import { type AudioClip, clipDurationSeconds } from '../engines/ports/audio-clip.js';
import { VoicesService } from '../tts/voices.service.js';
import { AsyncChannel } from './async-channel.js';
import { ChatReplyStage, type WrittenReply } from './chat-reply.stage.js';
import {
  callerAccount,
  ConversationHistoryService,
  type OpenConversation,
} from './conversation-history.service.js';
import { ReplyAudioEncoder } from './reply-audio.encoder.js';
import { ReplySpeechStage } from './reply-speech.stage.js';
import { type HeardTurn, SpeechRecognitionStage } from './speech-recognition.stage.js';
import { type ReceivedTurn, TurnInputReceiver } from './turn-input.receiver.js';

/** A turn received and checked, holding the user's concurrency slot until it is run. */
export interface PreparedTurn {
  input: ReceivedTurn;
  conversation: OpenConversation;
  format: OutputFormat;
  voice: string;
  model?: string;
  stream: boolean;
  startedAt: number;
  /** Gives back the slot and the temporary file; run() does it, call it only when run() is not called. */
  dispose(): Promise<void>;
}

/** One sentence of the reply, encoded for a stream. */
export interface SentenceAudio {
  index: number;
  text: string;
  audio: Buffer;
  format: OutputFormat;
  durationSeconds: number;
}

/** What a streamed turn reports as it goes. */
export interface TurnObserver {
  transcript(heard: HeardTurn): void;
  replyDelta(delta: string, engine: string): void;
  sentenceAudio(audio: SentenceAudio): void;
}

export interface TurnTimings {
  stt_ms: number | null;
  chat_ms: number;
  /** Time spent synthesising the reply's sentences (summed). */
  tts_ms: number;
  /** From the request's arrival to the first sentence's audio being ready; null without audio. */
  first_audio_ms: number | null;
}

export interface TurnResult {
  conversationId: string;
  turnId: string;
  heard?: HeardTurn;
  reply: WrittenReply;
  /** The whole reply's audio (unstreamed turns only). */
  audio?: Buffer;
  format: OutputFormat;
  durationSeconds: number;
  timings: TurnTimings;
}

/**
 * A conversation turn, stage by stage: receive → transcribe (spoken turns, with the
 * answering engine's grammar) → history → chat (streamed) → sentence splitter → TTS per
 * sentence → encode → store. The chat and TTS stages run at once, linked by a channel of
 * sentences. The whole turn holds one concurrency slot of the user (the metered stages
 * inside take none of their own); the plan must include conversation. The client leaving
 * (or any stage failing) stops every stage; a turn that did not complete stores nothing.
 */
@Injectable()
export class ConversationTurnService {
  constructor(
    private readonly receiver: TurnInputReceiver,
    private readonly recognition: SpeechRecognitionStage,
    private readonly history: ConversationHistoryService,
    private readonly chat: ChatReplyStage,
    private readonly chain: ChatEngineChain,
    private readonly speech: ReplySpeechStage,
    private readonly encoder: ReplyAudioEncoder,
    private readonly voices: VoicesService,
    private readonly metering: MeteringService,
    private readonly config: ConfigService,
  ) {}

  /**
   * Everything that can be refused before an engine runs: the plan, the concurrency slot,
   * the body, the voice, the model, the conversation.
   */
  async prepare(req: Request, signal: AbortSignal): Promise<PreparedTurn> {
    const startedAt = performance.now();
    const account = callerAccount();
    const releaseSlot = this.metering.holdSlot({ conversation: true });
    let input: ReceivedTurn | undefined;
    try {
      input = await this.receiver.receive(req, signal);
      const { fields } = input;
      const gen = this.config.current.gen;
      const voice = (await this.voices.resolve(fields.voice ?? gen.defaultVoice)).friendlyName;
      this.chain.resolve(fields.model);
      const conversation = await this.history.open(fields.conversation_id, account);
      const audio = input.audio;
      return {
        input,
        conversation,
        voice,
        format: fields.response_format ?? (gen.defaultResponseFormat as OutputFormat),
        ...(fields.model !== undefined ? { model: fields.model } : {}),
        stream: fields.stream === true,
        startedAt,
        dispose: async () => {
          releaseSlot();
          await audio?.discard();
        },
      };
    } catch (error) {
      releaseSlot();
      await input?.audio?.discard();
      throw error;
    }
  }

  /** Runs a prepared turn; `observer` (streamed turns) hears of each stage's output as it comes. */
  async run(turn: PreparedTurn, signal: AbortSignal, observer?: TurnObserver): Promise<TurnResult> {
    const stop = new AbortController();
    const turnSignal = AbortSignal.any([signal, stop.signal]);
    try {
      let heard: HeardTurn | undefined;
      if (turn.input.audio) {
        const grammar = this.chain.recognitionGrammar(turn.model);
        heard = await this.recognition.transcribe(turn.input.audio, grammar?.grammar, turnSignal);
        observer?.transcript(heard);
      }
      const userText = heard?.text ?? turn.input.fields.text ?? '';
      const sentences = new AsyncChannel<string>();
      const writing = this.chat
        .write(
          this.history.chatHistory(turn.conversation, userText),
          turn.model,
          sentences,
          (delta, engine) => observer?.replyDelta(delta, engine),
          turnSignal,
        )
        .catch((error: unknown) => {
          stop.abort();
          throw error;
        });
      const speaking = this.speakAll(turn, sentences, turnSignal, observer).catch((error: unknown) => {
        stop.abort();
        throw error;
      });
      const [reply, spoken] = await Promise.all([writing, speaking]);
      const encoded = observer
        ? undefined
        : await this.encoder.encodeReply(spoken.clips, turn.format, turnSignal);
      const stored = await this.history.record(
        turn.conversation,
        {
          role: 'user',
          text: userText,
          sttEngine: heard?.engine ?? null,
          chatEngine: null,
          ttsEngine: null,
          audioSeconds: heard ? round(heard.audioSeconds) : null,
          intent: null,
          slots: null,
        },
        {
          role: 'assistant',
          text: reply.outcome.reply.text,
          sttEngine: null,
          chatEngine: reply.outcome.engine,
          ttsEngine: spoken.engine ?? null,
          audioSeconds: round(encoded?.durationSeconds ?? spoken.durationSeconds),
          intent: reply.outcome.reply.intent ?? null,
          slots: reply.outcome.reply.slots ? { ...reply.outcome.reply.slots } : null,
        },
      );
      return {
        conversationId: turn.conversation.id,
        turnId: stored.reply.id,
        ...(heard ? { heard } : {}),
        reply,
        ...(encoded ? { audio: encoded.audio } : {}),
        format: turn.format,
        durationSeconds: round(encoded?.durationSeconds ?? spoken.durationSeconds),
        timings: {
          stt_ms: heard?.ms ?? null,
          chat_ms: reply.ms,
          tts_ms: spoken.ms,
          first_audio_ms:
            spoken.firstAudioAt === undefined ? null : Math.round(spoken.firstAudioAt - turn.startedAt),
        },
      };
    } catch (error) {
      stop.abort();
      if (signal.aborted && !(error instanceof AppError && error.code === 'REQUEST_CANCELLED')) {
        throw new AppError('REQUEST_CANCELLED', 'The client cancelled the request.');
      }
      throw error;
    } finally {
      await turn.dispose();
    }
  }

  /** The TTS (and, streamed, encode) stages over the sentences as the chat stage completes them. */
  private async speakAll(
    turn: PreparedTurn,
    sentences: AsyncIterable<string>,
    signal: AbortSignal,
    observer: TurnObserver | undefined,
  ): Promise<{
    clips: AudioClip[];
    engine?: string;
    durationSeconds: number;
    ms: number;
    firstAudioAt?: number;
  }> {
    const clips: AudioClip[] = [];
    let engine: string | undefined;
    let durationSeconds = 0;
    let ms = 0;
    let firstAudioAt: number | undefined;
    for await (const spoken of this.speech.speak(sentences, turn.voice, signal)) {
      engine ??= spoken.engine;
      ms += spoken.ms;
      if (observer) {
        const encoded = await this.encoder.encodeSentence(spoken.clip, turn.format, signal);
        firstAudioAt ??= performance.now();
        durationSeconds += encoded.durationSeconds;
        observer.sentenceAudio({
          index: spoken.index,
          text: spoken.text,
          audio: encoded.audio,
          format: turn.format,
          durationSeconds: round(encoded.durationSeconds),
        });
      } else {
        firstAudioAt ??= performance.now();
        durationSeconds += clipDurationSeconds(spoken.clip);
        clips.push(spoken.clip);
      }
    }
    return {
      clips,
      ...(engine ? { engine } : {}),
      durationSeconds,
      ms,
      ...(firstAudioAt !== undefined ? { firstAudioAt } : {}),
    };
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
