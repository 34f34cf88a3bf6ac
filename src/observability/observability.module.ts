import { Global, Module } from '@nestjs/common';
import { EnginesModule } from '../engines/engines.module.js';
import { AnalyticsService } from './analytics.service.js';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MiddlewareStatusController } from './middleware-status.controller.js';
import { RequestObserver } from './request-observer.js';

@Global()
@Module({
  imports: [EnginesModule],
  controllers: [HealthController, MiddlewareStatusController, MetricsController],
  providers: [AnalyticsService, HealthService, RequestObserver],
  exports: [AnalyticsService, RequestObserver],
})
export class ObservabilityModule {}
