import { Body, Controller, Get, HttpCode, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Enveloped } from '../common/envelope.js';
import { ConfigService } from '../config/config.service.js';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import type { EngineStatus } from '../engines/engine-registry.js';
import { TtsEngineRegistry } from '../engines/tts-engine-registry.js';
import { abortWhenClientLeaves } from './client-abort.js';
import { SynthesizeDto } from './dto/synthesize.dto.js';
import { synthesisRequestOf } from './dto/synthesis-request.js';
import { VoiceQueryDto } from './dto/voice-query.dto.js';
import { TtsStatisticsService, type TtsStatisticsRow } from './tts-statistics.service.js';
import {
  audioAnswer,
  cacheStatusVisible,
  fileAnswer,
  jsonAnswer,
  streamAnswer,
  type TtsJsonAnswer,
} from './tts-response.js';
import { TtsService, type TtsRequest } from './tts.service.js';
import { voiceJson } from './voice-json.js';
import { VoicesService } from './voices.service.js';
import { AppError } from '../common/app-error.js';

export interface VoiceListing {
  voices: Array<{
    name: string;
    engine: string;
    engine_voice_id: string;
    language: string;
    gender: string;
    description: string | null;
  }>;
  engines: EngineStatus[];
}

@ApiTags('tts')
@RouterGate('core.tts')
@RequireScope('tts')
@Controller()
export class TtsController {
  constructor(
    private readonly tts: TtsService,
    private readonly voices: VoicesService,
    private readonly engines: TtsEngineRegistry,
    private readonly statistics: TtsStatisticsService,
    private readonly config: ConfigService,
  ) {}

  @Post(['tts', 'v1/tts'])
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Text to speech: audio bytes, or the JSON envelope with base64 audio (Accept: application/json or response_format: json)',
  })
  @ApiProduces(
    'audio/wav',
    'audio/mpeg',
    'audio/opus',
    'audio/aac',
    'audio/flac',
    'audio/pcm',
    'application/json',
  )
  async synthesize(
    @Body() body: SynthesizeDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile | Enveloped<TtsJsonAnswer>> {
    const wantsJson =
      body.response_format === 'json' || req.accepts(['audio/*', 'application/json']) === 'application/json';
    const request: TtsRequest = {
      ...synthesisRequestOf(body, this.config.current.gen.defaultResponseFormat),
      timestamps: body.timestamps,
    };
    const signal = abortWhenClientLeaves(req, res);
    const showCache = cacheStatusVisible(this.config.current.routers.core.tts.cache.exposeStatus);
    if (body.stream && !wantsJson) {
      return streamAnswer(res, await this.tts.synthesizeStream(request, signal), showCache);
    }
    if (body.stream && wantsJson) {
      throw new AppError(
        'VALIDATION_FAILED',
        'stream: true sends audio bytes; it cannot be combined with a JSON answer.',
      );
    }
    if (wantsJson) return jsonAnswer(res, await this.tts.synthesize(request, signal), showCache);
    // Long text comes as a file, streamed from disk rather than held in memory.
    const result = await this.tts.synthesizeForDelivery(request, signal);
    return 'file' in result ? fileAnswer(res, result, showCache) : audioAnswer(res, result, showCache);
  }

  @Get('tts/voices')
  @ApiOperation({ summary: 'Voices (filter by language, gender, engine) and each engine’s availability' })
  async listVoices(@Query() query: VoiceQueryDto): Promise<VoiceListing> {
    const engines = await this.engines.statuses();
    if (query.engine && !engines.some((engine) => engine.id === query.engine)) {
      throw new AppError('VALIDATION_FAILED', `No engine '${query.engine}' is configured.`, {
        fields: [
          { field: 'engine', errors: [`engine must be one of: ${engines.map((e) => e.id).join(', ')}`] },
        ],
      });
    }
    const voices = await this.voices.list({
      language: query.language?.toLowerCase(),
      gender: query.gender,
      engine: query.engine,
    });
    return {
      voices: voices.map(voiceJson),
      engines,
    };
  }

  @Get('tts/statistics')
  @ApiOperation({
    summary: 'Per voice and engine: requests, successes, failures, audio seconds, latency p50/p95',
  })
  async getStatistics(): Promise<{ rows: TtsStatisticsRow[] }> {
    if (!this.config.current.routers.core.tts.enableStatistics) {
      throw new AppError(
        'FEATURE_DISABLED',
        'TTS statistics are disabled (routers.core.tts.enable_statistics).',
      );
    }
    return { rows: await this.statistics.perVoiceAndEngine() };
  }
}
