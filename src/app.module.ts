import { type DynamicModule, Global, Module, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AccountsModule } from './accounts/accounts.module.js';
import { ApiKeyGuard } from './accounts/auth/api-key.guard.js';
import { BOOTSTRAP_KEY_SINK, type BootstrapKeySink } from './accounts/bootstrap-admin.js';
import { QuotaHeaderInterceptor } from './accounts/quota-header.interceptor.js';
import { PlanThrottlerGuard } from './rate-limit/plan-throttler.guard.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { ChainedInterceptors, type SynchronousInterceptor } from './common/chained-interceptors.js';
import { EnvelopeInterceptor } from './common/envelope.interceptor.js';
import { BOOT_OPTIONS, ROOT_LOGGER } from './common/injection-tokens.js';
import { createValidationPipe } from './common/validation.pipe.js';
import { ConfigModule } from './config/config.module.js';
import { ConversationModule } from './conversation/conversation.module.js';
import type { ConfigService } from './config/config.service.js';
import { RouterGateGuard } from './config/router-gate.guard.js';
import { FilesModule } from './files/files.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { OpenAiModule } from './openai/openai.module.js';
import { ResilienceModule } from './resilience/resilience.module.js';
import { SttModule } from './stt/stt.module.js';
import { TtsModule } from './tts/tts.module.js';
import { UiModule } from './ui/ui.module.js';
import type { GatewayRuntimeInfo } from './gateway-runtime-info.js';
import { AnalyticsInterceptor } from './observability/analytics.interceptor.js';
import { GatewayMetrics } from './observability/metrics/gateway-metrics.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { TimingInterceptor } from './observability/timing.interceptor.js';

export interface AppModuleDependencies {
  config: ConfigService;
  logger: Logger;
  dataSource: DataSource;
  runtime: GatewayRuntimeInfo;
  metrics: GatewayMetrics;
  /** Receives the one-time bootstrap admin key (main.ts: stderr). */
  bootstrapKeySink?: BootstrapKeySink;
  /** Extra modules mounted beside the product's (tests use this for probe routes). */
  extraModules?: Type[];
}

/** Things bootstrap created before Nest (logger, database, metrics, start-up facts), shared app-wide. */
@Global()
@Module({})
class CoreModule {
  static register(deps: AppModuleDependencies): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: ROOT_LOGGER, useValue: deps.logger },
        { provide: DataSource, useValue: deps.dataSource },
        { provide: BOOT_OPTIONS, useValue: deps.runtime },
        { provide: GatewayMetrics, useValue: deps.metrics },
        { provide: BOOTSTRAP_KEY_SINK, useValue: deps.bootstrapKeySink ?? (() => undefined) },
      ],
      exports: [ROOT_LOGGER, DataSource, BOOT_OPTIONS, BOOTSTRAP_KEY_SINK, GatewayMetrics],
    };
  }
}

@Module({})
export class AppModule {
  static register(deps: AppModuleDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.register(deps),
        ConfigModule.forRoot(deps.config),
        ObservabilityModule,
        AccountsModule,
        RateLimitModule,
        FilesModule,
        TtsModule,
        SttModule,
        ConversationModule,
        JobsModule,
        OpenAiModule,
        ResilienceModule,
        UiModule,
        ...(deps.extraModules ?? []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_GUARD, useClass: RouterGateGuard },
        // Authentication first, then per-plan rate limits keyed by the authenticated user.
        { provide: APP_GUARD, useExisting: ApiKeyGuard },
        { provide: APP_GUARD, useClass: PlanThrottlerGuard },
        TimingInterceptor,
        AnalyticsInterceptor,
        QuotaHeaderInterceptor,
        EnvelopeInterceptor,
        // Outermost first: timing sees the whole handling, the envelope is applied innermost.
        // One registration, as Nest's per-interceptor wrapping costs more than these do.
        {
          provide: APP_INTERCEPTOR,
          useFactory: (...interceptors: SynchronousInterceptor[]) => new ChainedInterceptors(interceptors),
          inject: [TimingInterceptor, AnalyticsInterceptor, QuotaHeaderInterceptor, EnvelopeInterceptor],
        },
      ],
    };
  }
}
