import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppError } from '../common/app-error.js';
import { BOOT_OPTIONS } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { type ReceivedUpload, receiveUpload, refusedBeforeBody } from '../stt/upload-receiver.js';
import { type ConversationTurnDto, parseTurnFields } from './dto/conversation-turn.dto.js';

/** A turn as it arrived: its fields, and the audio file when it was spoken. */
export interface ReceivedTurn {
  fields: ConversationTurnDto;
  /** The spoken turn on disk (multipart `file`); the caller discards it. */
  audio?: ReceivedUpload;
}

/**
 * The receive stage: a JSON body (typed turn) or a multipart form whose `file` part is the
 * spoken turn, streamed to a private temporary file with /stt's size limit
 * (routers.core.stt.max_file_size_mb). Fields are checked either way.
 */
@Injectable()
export class TurnInputReceiver {
  constructor(
    private readonly config: ConfigService,
    @Inject(BOOT_OPTIONS) private readonly runtime: GatewayRuntimeInfo,
  ) {}

  async receive(req: Request, signal: AbortSignal): Promise<ReceivedTurn> {
    const settings = this.config.current.routers;
    const maxTextLength = settings.core.conversation.maxTextLength;
    const type = req.headers['content-type'] ?? '';
    if (/^multipart\/form-data\b/i.test(type)) {
      const audio = await receiveUpload(
        req,
        {
          maxBytes: Math.floor(settings.core.stt.maxFileSizeMb * 1024 * 1024),
          tempDir: this.runtime.tempDir,
          fileField: 'file',
        },
        signal,
      );
      try {
        return { fields: parseTurnFields({ ...audio.fields }, { spoken: true, maxTextLength }), audio };
      } catch (error) {
        await audio.discard();
        throw error;
      }
    }
    if (type !== '' && !/^application\/json\b/i.test(type)) {
      throw refusedBeforeBody(
        req,
        new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          'Send a typed turn as JSON, or a spoken turn as multipart/form-data with a "file" part.',
        ),
      );
    }
    return { fields: parseTurnFields(req.body ?? {}, { spoken: false, maxTextLength }) };
  }
}
