import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequireScope } from '../../accounts/auth/access.decorator.js';
import { AppError } from '../../common/app-error.js';
import { RawResponse } from '../../common/raw-response.decorator.js';
import { ConfigService } from '../../config/config.service.js';
import { GatewayMetrics } from './gateway-metrics.js';

/** Prometheus scrape endpoint; admin keys and keys with the `ops` scope. Switched live by metrics.enabled. */
@ApiTags('health')
@RequireScope('ops')
@RawResponse()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly config: ConfigService,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Metrics in the Prometheus text exposition format' })
  async exposition(@Res({ passthrough: true }) res: Response): Promise<string> {
    if (!this.config.current.metrics.enabled) {
      throw new AppError('FEATURE_DISABLED', 'Metrics are switched off (metrics.enabled).');
    }
    const { contentType, body } = await this.metrics.exposition();
    res.setHeader('Content-Type', contentType);
    return body;
  }
}
