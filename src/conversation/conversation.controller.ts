import { Controller, HttpCode, Inject, Post, Req, Res, type StreamableFile } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import type { Enveloped } from '../common/envelope.js';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { abortWhenClientLeaves } from '../tts/client-abort.js';
import { streamedTurnAnswer, type TurnAnswer, turnAnswer } from './conversation-response.js';
import { ConversationTurnService } from './conversation-turn.service.js';

@ApiTags('conversation')
@RouterGate('core.conversation')
@RequireScope('conversation')
@Controller()
export class ConversationController {
  constructor(
    private readonly turns: ConversationTurnService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @Post(['conversation', 'v1/conversation'])
  @HttpCode(200)
  @ApiOperation({
    summary:
      'One conversation turn: text (JSON) or speech (multipart `file`) in; the reply as text and speech (envelope with base64 audio, or Server-Sent Events with stream: true)',
  })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiProduces('application/json', 'text/event-stream')
  async turn(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile | Enveloped<TurnAnswer>> {
    const signal = abortWhenClientLeaves(req, res);
    const turn = await this.turns.prepare(req, signal);
    if (turn.stream)
      return streamedTurnAnswer(res, (observer) => this.turns.run(turn, signal, observer), this.logger);
    return turnAnswer(await this.turns.run(turn, signal));
  }
}
