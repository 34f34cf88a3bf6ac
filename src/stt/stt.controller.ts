import { Controller, Get, HttpCode, Post, Req, Res, type StreamableFile } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import type { Enveloped } from '../common/envelope.js';
import { ConfigService } from '../config/config.service.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import type { EngineStatus } from '../engines/engine-registry.js';
import { SttEngineRegistry } from '../engines/stt-engine-registry.js';
import { abortWhenClientLeaves } from '../tts/client-abort.js';
import { TRANSCRIPT_FORMATS } from './dto/transcribe.dto.js';
import { nativeAnswer, type SttJsonAnswer, type SttVerboseAnswer } from './stt-response.js';
import { SttService } from './stt.service.js';

export interface SttStatus {
  adapter: 'engines';
  engines: Array<
    EngineStatus & {
      sample_rate: number | null;
      languages: readonly string[];
      word_timestamps: boolean;
      supported_params: readonly string[];
    }
  >;
  supported_formats: string[];
  response_formats: readonly string[];
  limits: { max_file_size_mb: number; max_audio_seconds: number };
}

@ApiTags('stt')
@RouterGate('core.stt')
@RequireScope('stt')
@Controller()
export class SttController {
  constructor(
    private readonly stt: SttService,
    private readonly engines: SttEngineRegistry,
    private readonly config: ConfigService,
  ) {}

  @Post(['stt', 'v1/stt'])
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Speech to text: multipart (file + options as fields) or the raw audio as the body (options in the query string)',
  })
  @ApiConsumes(
    'multipart/form-data',
    'audio/wav',
    'audio/mpeg',
    'audio/mp4',
    'audio/flac',
    'application/octet-stream',
  )
  @ApiProduces('application/json', 'text/plain', 'application/x-subrip', 'text/vtt')
  async transcribe(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile | Enveloped<SttJsonAnswer | SttVerboseAnswer>> {
    const outcome = await this.stt.transcribeRequest(req, abortWhenClientLeaves(req, res));
    return nativeAnswer(res, outcome);
  }

  @Get('stt/status')
  @ApiOperation({ summary: 'STT engines and their availability, accepted formats, limits' })
  async status(): Promise<SttStatus> {
    const settings = this.config.current.routers.core.stt;
    const statuses = await this.engines.statuses();
    return {
      adapter: 'engines',
      engines: statuses.map((status) => {
        const lease = this.engines.lease(status.id);
        if ('unavailable' in lease) {
          return {
            ...status,
            sample_rate: null,
            languages: [],
            word_timestamps: false,
            supported_params: [],
          };
        }
        try {
          const caps = lease.engine.capabilities();
          return {
            ...status,
            sample_rate: caps.sampleRate,
            languages: caps.languages,
            word_timestamps: caps.wordTimestamps,
            supported_params: caps.supportedParams,
          };
        } finally {
          lease.release();
        }
      }),
      supported_formats: [...settings.supportedFormats],
      response_formats: TRANSCRIPT_FORMATS,
      limits: { max_file_size_mb: settings.maxFileSizeMb, max_audio_seconds: settings.maxAudioSeconds },
    };
  }
}
