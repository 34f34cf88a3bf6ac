import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppError } from '../../common/app-error.js';
import { API_SCOPES, type Account, RequestContextStore } from '../../common/request-context.js';
import { ConfigService } from '../../config/config.service.js';
import { AccountsService } from '../accounts.service.js';
import { hasScope } from '../auth/api-key.guard.js';
import { planOf } from '../plan-policy.js';
import { UsageRepository } from '../usage.repository.js';
import { RecentUsageQueryDto } from './recent-usage-query.dto.js';

function caller(): Account {
  const account = RequestContextStore.current()?.account;
  if (!account) throw new AppError('INVALID_API_KEY', 'An API key is required.');
  return account;
}

/**
 * Who the presented key belongs to and what it may do: clients (the /ui console among them)
 * ask this instead of probing routes for 403s. Any valid key may read its own account.
 */
@ApiTags('accounts')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly usage: UsageRepository,
    private readonly config: ConfigService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The calling key: its user, plan limits, effective scopes and quota' })
  async me() {
    const account = caller();
    const user = await this.accounts.getUser(account.userId);
    const plan = planOf(this.config.current, user.plan);
    const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
    return {
      user: { id: user.id, name: user.name, email: user.email, is_admin: user.isAdmin },
      key: { key_id: account.keyId, scopes: [...account.scopes] },
      /** What the key can actually do: its scopes, plus `ops` for an admin key. */
      scopes: API_SCOPES.filter((scope) => hasScope(account, scope)),
      plan: {
        name: user.plan,
        requests_per_minute: plan.requestsPerMinute,
        burst_per_second: plan.burstPerSecond,
        max_concurrent_requests: plan.maxConcurrentRequests,
        streaming_allowed: plan.streamingAllowed,
        voice_cloning_allowed: plan.voiceCloningAllowed,
        conversation_allowed: plan.conversationAllowed,
        max_text_length: plan.maxTextLength,
      },
      quota: {
        quota_seconds: round(user.quotaSeconds),
        used_seconds: round(user.usedSeconds),
        remaining_seconds: Math.max(0, round(user.quotaSeconds - user.usedSeconds)),
      },
    };
  }

  @Get('usage')
  @ApiOperation({ summary: 'The calling user’s latest metered requests, newest first' })
  async recentUsage(@Query() query: RecentUsageQueryDto) {
    const rows = await this.usage.recentOf(caller().userId, query.limit ?? 20);
    return {
      usage: rows.map((row) => ({ ...row, created_at: new Date(row.created_at).toISOString() })),
    };
  }
}
