import { Controller, HttpCode, Post, Req, Res, type StreamableFile } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import { RawResponse } from '../common/raw-response.decorator.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { openAiAnswer } from '../stt/stt-response.js';
import { SttService } from '../stt/stt.service.js';
import { abortWhenClientLeaves } from '../tts/client-abort.js';

/**
 * OpenAI-compatible transcription (multipart: file, model, language, prompt,
 * response_format, temperature, timestamp_granularities[]), so the official SDK and
 * Whisper client code run unchanged. `model` may be an OpenAI name (whisper-1, …: the
 * default engine chain) or an engine id. Errors use OpenAI's shape (the exception filter).
 */
@ApiTags('openai')
@RouterGate('core.stt')
@RequireScope('stt')
@RawResponse()
@Controller('v1')
export class OpenAiTranscriptionController {
  constructor(private readonly stt: SttService) {}

  @Post('audio/transcriptions')
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI-compatible speech to text' })
  @ApiConsumes('multipart/form-data')
  async createTranscription(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile | Record<string, unknown>> {
    const outcome = await this.stt.transcribeRequest(req, abortWhenClientLeaves(req, res));
    return openAiAnswer(res, outcome);
  }
}
