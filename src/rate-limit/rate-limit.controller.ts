import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../accounts/auth/access.decorator.js';
import { RateLimitService } from './rate-limit.service.js';

@ApiTags('rate-limit')
@AdminOnly()
@Controller('rate-limit')
export class RateLimitController {
  constructor(private readonly rateLimits: RateLimitService) {}

  @Get('usage/:identifier')
  @ApiOperation({ summary: 'Hits in each window for user:<id> or ip:<address>' })
  usage(@Param('identifier') identifier: string) {
    return this.rateLimits.usage(identifier);
  }

  @Post('reset/:identifier')
  @HttpCode(200)
  @ApiOperation({ summary: 'Zero the counters of user:<id> or ip:<address>' })
  reset(@Param('identifier') identifier: string) {
    return this.rateLimits.reset(identifier);
  }

  @Get('config')
  @ApiOperation({ summary: 'Plans, windows and the counter store in use' })
  config() {
    return this.rateLimits.settings();
  }
}
