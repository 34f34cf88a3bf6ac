import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import { Enveloped } from '../common/envelope.js';
import { TokenParamPipe } from '../common/token-param.pipe.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { callerAccount, ConversationHistoryService } from './conversation-history.service.js';
import { conversationSummary, turnJson } from './conversation-response.js';
import { ConversationListQueryDto } from './dto/conversation-list-query.dto.js';

@ApiTags('conversation')
@RouterGate('core.conversation')
@RequireScope('conversation')
@Controller('conversations')
export class ConversationsController {
  constructor(private readonly history: ConversationHistoryService) {}

  @Get()
  @ApiOperation({ summary: 'Your conversations, the most recently used first' })
  async list(@Query() query: ConversationListQueryDto) {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { rows, total } = await this.history.list(callerAccount(), limit, offset);
    return { conversations: rows.map(conversationSummary), total, limit, offset };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A conversation and its turns (yours; admins see any)' })
  async get(@Param('id', TokenParamPipe) id: string) {
    const { conversation, turns } = await this.history.withTurns(id, callerAccount());
    return { ...conversationSummary(conversation), turns: turns.map(turnJson) };
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a conversation and its turns (yours; admins any)' })
  async delete(@Param('id', TokenParamPipe) id: string) {
    await this.history.delete(id, callerAccount());
    return new Enveloped({ id, deleted: true }, 'Conversation deleted.');
  }
}
