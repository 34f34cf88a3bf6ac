import { Readable } from 'node:stream';
import { Body, Controller, HttpCode, Inject, Post, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import { openAiErrorBody } from '../common/all-exceptions.filter.js';
import { AppError } from '../common/app-error.js';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { RawResponse } from '../common/raw-response.decorator.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { abortWhenClientLeaves } from '../tts/client-abort.js';
import type { ChatCompletion } from './chat-completion-shapes.js';
import { chatCompletionSse } from './chat-completion-sse.js';
import { CreateChatCompletionDto } from './dto/create-chat-completion.dto.js';
import { OpenAiChatService } from './openai-chat.service.js';

/**
 * OpenAI-compatible chat completions over the chat engine chain, so OpenAI client code (and
 * the official SDK) talks to the gateway's chat engines unchanged: text or input_audio in,
 * text (and optionally audio) out, whole or streamed as server-sent events. Errors use
 * OpenAI's shape (the exception filter does that for every /v1/ path).
 */
@ApiTags('openai')
@RouterGate('core.conversation')
@RequireScope('conversation')
@RawResponse()
@Controller('v1')
export class OpenAiChatController {
  constructor(
    private readonly chat: OpenAiChatService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI-compatible chat completion (stream: true for server-sent events)' })
  async createChatCompletion(
    @Body() body: CreateChatCompletionDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChatCompletion | StreamableFile> {
    const signal = abortWhenClientLeaves(req, res);
    const prepared = await this.chat.prepare(body, signal);
    if (prepared.ignoredParams.length > 0)
      res.setHeader('X-Ignored-Params', prepared.ignoredParams.join(', '));
    if (!body.stream) {
      const { engine, completion } = await this.chat.complete(prepared, signal);
      res.setHeader('X-Engine', engine);
      return completion;
    }
    const { engine, deltas, close } = await this.chat.stream(prepared, signal);
    // However the response ends (done, client gone, write error), the chain is closed.
    res.once('close', () => void close());
    res.setHeader('X-Engine', engine);
    res.setHeader('Cache-Control', 'no-cache');
    const events = chatCompletionSse(prepared.identity, deltas, {
      includeUsage: body.stream_options?.include_usage === true,
      renderError: (error) => this.streamError(error),
    });
    return new StreamableFile(Readable.from(events), { type: 'text/event-stream' });
  }

  /** A failure after the first event: OpenAI's error body, sent as the stream's last event. */
  private streamError(error: unknown): unknown {
    if (error instanceof AppError) return openAiErrorBody(error);
    this.logger.error({ err: error }, 'chat completion stream failed');
    return openAiErrorBody({
      status: 500,
      code: 'INTERNAL_ERROR',
      message: 'Internal server error. Quote the request id when reporting it.',
    });
  }
}
