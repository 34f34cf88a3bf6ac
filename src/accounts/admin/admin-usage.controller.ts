import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppError } from '../../common/app-error.js';
import { AdminOnly } from '../auth/access.decorator.js';
import { UsageRepository } from '../usage.repository.js';
import { UsageQueryDto } from './dto/usage-query.dto.js';

const DEFAULT_PERIOD_MS = 30 * 24 * 3_600_000;

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('admin/usage')
export class AdminUsageController {
  constructor(private readonly usage: UsageRepository) {}

  @Get()
  @ApiOperation({ summary: 'Requests and audio seconds per user in a period (default: the last 30 days)' })
  async summary(@Query() query: UsageQueryDto) {
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_PERIOD_MS);
    if (from >= to) {
      throw new AppError('VALIDATION_FAILED', 'from must be before to.', {
        fields: [{ field: 'from', errors: ['from must be before to'] }],
      });
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      users: await this.usage.summary(from, to, query.user_id),
    };
  }
}
