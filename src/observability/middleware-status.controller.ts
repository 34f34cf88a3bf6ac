import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import { ConfigService } from '../config/config.service.js';

/** Which request interceptors are on right now (they are switched live in config.yaml); `ops` scope. */
@ApiTags('health')
@RequireScope('ops')
@Controller('tts/middleware')
export class MiddlewareStatusController {
  constructor(private readonly config: ConfigService) {}

  @Get('status')
  @ApiOperation({ summary: 'Live state of the timing, logging and analytics interceptors' })
  status(): Record<string, unknown> {
    const { timing, logging, analytics } = this.config.current.middleware;
    return {
      timing: { enabled: timing.enabled, slow_request_threshold: timing.slowRequestThreshold },
      logging: { enabled: logging.enabled, log_level: logging.logLevel, format: logging.format },
      analytics: { enabled: analytics.enabled, retention_days: analytics.retentionDays },
    };
  }
}
