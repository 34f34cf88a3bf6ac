import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { AppError } from '../common/app-error.js';
import { ConfigService } from '../config/config.service.js';
import { TranscribeDto } from '../stt/dto/transcribe.dto.js';
import { SttService } from '../stt/stt.service.js';

/** What the user said, and what it took to hear it. */
export interface HeardTurn {
  text: string;
  engine: string;
  audioSeconds: number;
  ms: number;
}

/**
 * The transcribe stage of a spoken turn: the uploaded file through SttService (same type
 * sniffing, grammar limits, engine chain and metering as /stt), limited to
 * routers.core.conversation.max_audio_seconds. When the chat engine that will answer
 * understands a closed set of sentences, its grammar is passed so those sentences are
 * recognised exactly.
 */
@Injectable()
export class SpeechRecognitionStage {
  constructor(
    private readonly stt: SttService,
    private readonly config: ConfigService,
  ) {}

  async transcribe(
    audio: { path: string; bytes: number },
    grammar: string | undefined,
    signal: AbortSignal,
  ): Promise<HeardTurn> {
    const started = performance.now();
    const options = plainToInstance(TranscribeDto, grammar === undefined ? {} : { grammar });
    const outcome = await this.stt.transcribeStoredAudio(audio, options, signal, {
      maxAudioSeconds: this.config.current.routers.core.conversation.maxAudioSeconds,
      limitKey: 'routers.core.conversation.max_audio_seconds',
    });
    const text = outcome.transcript.text.trim();
    if (text === '') throw new AppError('INVALID_AUDIO', 'No speech was recognised in the audio.');
    return {
      text,
      engine: outcome.engine,
      audioSeconds: outcome.transcript.durationSeconds,
      ms: Math.round(performance.now() - started),
    };
  }
}
