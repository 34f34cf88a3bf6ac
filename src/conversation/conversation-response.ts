import { StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { contentTypeOf } from '../audio/audio-format.js';
import { AppError } from '../common/app-error.js';
import { Enveloped } from '../common/envelope.js';
import type { ConversationTurnEntity } from './conversation-turn.entity.js';
import type { ConversationEntity } from './conversation.entity.js';
import type { TurnObserver, TurnResult, TurnTimings } from './conversation-turn.service.js';
import { ServerSentEvents } from './server-sent-events.js';

export interface TurnAnswer {
  conversation_id: string;
  turn_id: string;
  transcript?: { text: string; engine: string };
  reply: { text: string; engine: string; intent?: string; slots?: Record<string, string> };
  audio_base64?: string;
  audio_format: string;
  duration_seconds: number;
  timings: TurnTimings;
}

/** The answer's fields; `done` events carry them without the audio. */
function turnFields(result: TurnResult): Omit<TurnAnswer, 'audio_base64'> {
  const { reply } = result.reply.outcome;
  return {
    conversation_id: result.conversationId,
    turn_id: result.turnId,
    ...(result.heard ? { transcript: { text: result.heard.text, engine: result.heard.engine } } : {}),
    reply: {
      text: reply.text,
      engine: result.reply.outcome.engine,
      ...(reply.intent !== undefined ? { intent: reply.intent } : {}),
      ...(reply.slots !== undefined ? { slots: { ...reply.slots } } : {}),
    },
    audio_format: result.format,
    duration_seconds: result.durationSeconds,
    timings: result.timings,
  };
}

export function turnAnswer(result: TurnResult): Enveloped<TurnAnswer> {
  return new Enveloped(
    { ...turnFields(result), audio_base64: (result.audio ?? Buffer.alloc(0)).toString('base64') },
    'Turn answered.',
  );
}

/**
 * A streamed turn as Server-Sent Events: transcript, reply.delta…, audio.delta… (in order,
 * each sentence playable alone), then done, or error ({error_code, message}, as the
 * envelope's) when a stage fails once the stream has begun.
 */
export function streamedTurnAnswer(
  res: Response,
  run: (observer: TurnObserver) => Promise<TurnResult>,
  logger: Logger,
): StreamableFile {
  const events = new ServerSentEvents();
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Accel-Buffering', 'no');
  const observer: TurnObserver = {
    transcript: (heard) => events.send('transcript', { text: heard.text, engine: heard.engine }),
    replyDelta: (delta, engine) => events.send('reply.delta', { delta, engine }),
    sentenceAudio: (audio) =>
      events.send('audio.delta', {
        index: audio.index,
        text: audio.text,
        audio_base64: audio.audio.toString('base64'),
        audio_format: audio.format,
        content_type: contentTypeOf(audio.format),
        duration_seconds: audio.durationSeconds,
      }),
  };
  void run(observer)
    .then(
      (result) => events.send('done', turnFields(result)),
      (error: unknown) => {
        if (error instanceof AppError) {
          events.send('error', { error_code: error.code, message: error.message });
          return;
        }
        logger.error({ err: error }, 'conversation turn failed mid-stream');
        events.send('error', {
          error_code: 'INTERNAL_ERROR',
          message: 'Internal server error. Quote the request id when reporting it.',
        });
      },
    )
    .finally(() => events.end());
  return new StreamableFile(events.body, { type: 'text/event-stream; charset=utf-8' });
}

export interface ConversationSummary {
  id: string;
  title: string;
  turn_count: number;
  created_at: string;
  updated_at: string;
}

export function conversationSummary(conversation: ConversationEntity): ConversationSummary {
  return {
    id: conversation.id,
    title: conversation.title,
    turn_count: conversation.turnCount,
    created_at: conversation.createdAt.toISOString(),
    updated_at: conversation.updatedAt.toISOString(),
  };
}

export function turnJson(turn: ConversationTurnEntity) {
  return {
    id: turn.id,
    role: turn.role,
    text: turn.text,
    created_at: turn.createdAt.toISOString(),
    engines: {
      ...(turn.sttEngine ? { stt: turn.sttEngine } : {}),
      ...(turn.chatEngine ? { chat: turn.chatEngine } : {}),
      ...(turn.ttsEngine ? { tts: turn.ttsEngine } : {}),
    },
    audio_seconds: turn.audioSeconds,
    ...(turn.intent ? { intent: turn.intent } : {}),
    ...(turn.slots ? { slots: turn.slots } : {}),
  };
}
