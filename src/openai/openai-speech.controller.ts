import { Readable } from 'node:stream';
import { Body, Controller, Get, HttpCode, Post, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RawResponse } from '../common/raw-response.decorator.js';
import { ConfigService } from '../config/config.service.js';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { abortWhenClientLeaves } from '../tts/client-abort.js';
import { cacheStatusVisible, fileBody, setServedByHeaders } from '../tts/tts-response.js';
import { TtsService } from '../tts/tts.service.js';
import { VoicesService } from '../tts/voices.service.js';
import { CreateSpeechDto } from './dto/create-speech.dto.js';
import { voiceForOpenAiName } from './openai-voice.js';

interface OpenAiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** Fixed so /v1/models answers the same on every node and restart. */
const MODELS_CREATED = 1764028800;

/**
 * The OpenAI-compatible speech surface, so existing OpenAI client code (and the official
 * SDK) runs unchanged. OpenAI voice names map to configured voices (openai.voice_map);
 * errors use OpenAI's shape (the exception filter does that for every /v1/ path).
 */
@ApiTags('openai')
@RouterGate('core.tts')
@RequireScope('tts')
@RawResponse()
@Controller('v1')
export class OpenAiSpeechController {
  constructor(
    private readonly tts: TtsService,
    private readonly voices: VoicesService,
    private readonly config: ConfigService,
  ) {}

  @Post('audio/speech')
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI-compatible text to speech (stream_format audio or sse)' })
  async createSpeech(
    @Body() body: CreateSpeechDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const signal = abortWhenClientLeaves(req, res);
    const voiceMap = this.config.current.openai.voiceMap;
    const request = {
      text: body.input,
      voice: voiceForOpenAiName(voiceMap, body.voice),
      // OpenAI model names pick nothing here; an engine id picks that engine.
      model: this.config.current.openai.models.includes(body.model) ? undefined : body.model,
      speed: body.speed,
      format: body.response_format ?? 'mp3',
      sampleRate: body.sample_rate,
    } as const;
    if (body.stream_format === 'sse') {
      const stream = await this.tts.synthesizeStream({ ...request, format: 'pcm' }, signal);
      setServedByHeaders(res, stream);
      res.setHeader('Cache-Control', 'no-cache');
      return new StreamableFile(Readable.from(sseEvents(stream.body)), { type: 'text/event-stream' });
    }
    const result = await this.tts.synthesizeForDelivery(request, signal);
    setServedByHeaders(res, result);
    if (cacheStatusVisible(this.config.current.routers.core.tts.cache.exposeStatus)) {
      res.setHeader('X-Cache', result.cache);
    }
    const ignored = body.instructions ? [...result.ignoredParams, 'instructions'] : result.ignoredParams;
    if (ignored.length > 0) res.setHeader('X-Ignored-Params', ignored.join(', '));
    // Long text comes as a file, streamed from disk rather than held in memory.
    if ('file' in result) return fileBody(result);
    return new StreamableFile(result.audio, { type: result.contentType, length: result.audio.length });
  }

  @Get('audio/voices')
  @ApiOperation({ summary: 'Voices usable as `voice` (OpenAI names and configured voices)' })
  async listVoices(): Promise<{
    object: 'list';
    data: Array<{ id: string; name: string; language?: string }>;
  }> {
    const configured = await this.voices.list({});
    const mapped = Object.keys(this.config.current.openai.voiceMap).map((name) => ({ id: name, name }));
    return {
      object: 'list',
      data: [
        ...mapped,
        ...configured.map((v) => ({ id: v.friendlyName, name: v.friendlyName, language: v.language })),
      ],
    };
  }

  @Get('models')
  @ApiOperation({ summary: 'OpenAI-compatible model list' })
  listModels(): { object: 'list'; data: OpenAiModel[] } {
    const config = this.config.current;
    // Chat models (POST /v1/chat/completions): every chat engine id, then openai.chat_models names.
    const chat = config.routers.core.conversation.enabled
      ? [
          ...config.engines.chat.filter((engine) => engine.enabled).map((engine) => engine.id),
          ...Object.keys(config.openai.chatModels),
        ]
      : [];
    const ids = [...new Set([...config.openai.models, ...chat])];
    return {
      object: 'list',
      data: ids.map((id) => ({ id, object: 'model', created: MODELS_CREATED, owned_by: 'speech-gateway' })),
    };
  }
}

/** OpenAI's speech SSE events: base64 PCM deltas, then a done event. */
async function* sseEvents(audio: AsyncIterable<Buffer>): AsyncGenerator<string> {
  for await (const chunk of audio) {
    yield `data: ${JSON.stringify({ type: 'speech.audio.delta', audio: chunk.toString('base64') })}\n\n`;
  }
  yield `data: ${JSON.stringify({ type: 'speech.audio.done', usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 } })}\n\n`;
}
