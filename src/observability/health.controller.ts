import { Controller, Get } from '@nestjs/common';
import { Public } from '../accounts/auth/access.decorator.js';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppError } from '../common/app-error.js';
import { HealthService, type HealthReport } from './health.service.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Version, architecture, live feature flags and dependency checks' })
  async report(): Promise<HealthReport> {
    return this.health.report();
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers HTTP' })
  live(): { status: 'alive' } {
    return { status: 'alive' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: 200 when dependencies answer, 503 SERVICE_NOT_READY otherwise' })
  async ready(): Promise<HealthReport> {
    const report = await this.health.report();
    if (report.status === 'unhealthy') {
      // Load balancers and clients retry readiness; 5 s is the drain's and outage's own hint.
      throw new AppError('SERVICE_NOT_READY', 'The server is not ready to serve requests.', report, {
        'Retry-After': '5',
      });
    }
    return report;
  }
}
