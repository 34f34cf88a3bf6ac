import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BOOT_OPTIONS } from '../common/injection-tokens.js';
import { singleFlight } from '../common/single-flight.js';
import { ConfigService } from '../config/config.service.js';
import { routerDisabledReason } from '../config/router-gate.guard.js';
import { ttsEngineChain } from '../config/engine-fallback.js';
import { ChatEngineChain } from '../engines/chat-engine-chain.js';
import { ChatEngineRegistry } from '../engines/chat-engine-registry.js';
import type { EngineRegistry, EngineStatus, ManagedEngine } from '../engines/engine-registry.js';
import { SttEngineRegistry } from '../engines/stt-engine-registry.js';
import { TtsEngineRegistry } from '../engines/tts-engine-registry.js';
import type { RouterName } from '../config/config.schema.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import type { JobQueueBackend } from '../jobs/job-queue.js';
import { jobQueueBackend } from '../jobs/job-queue-backend.js';
import { RateLimitStorage } from '../rate-limit/rate-limit.storage.js';
import { breakersCheck, type CheckResult, enginesCheck, type WeighedEngine } from './engine-checks.js';

export type { CheckResult } from './engine-checks.js';

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  version: string;
  architecture: {
    mode: 'modular' | 'legacy';
    database: 'postgres' | 'embedded';
    routers: Record<RouterName, boolean>;
    /** What delivers background jobs: pg-boss in the database, or BullMQ on Redis. */
    job_queue: JobQueueBackend;
  };
  features: {
    use_new_routers: boolean;
    use_adapters: boolean;
    library_integration: boolean;
    enhanced_monitoring: boolean;
  };
  checks: Record<string, CheckResult>;
  /** Every configured engine: available, or why not. */
  engines: { tts: EngineStatus[]; stt: EngineStatus[]; chat: EngineStatus[] };
  uptime_seconds: number;
  process?: { rss_mb: number; heap_used_mb: number; event_loop_utilization: number };
}

const ROUTERS: RouterName[] = [
  'core.tts',
  'core.stt',
  'core.conversation',
  'core.jobs',
  'management.config',
  'management.files',
  'management.ui',
];
const CHECK_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(
    private readonly config: ConfigService,
    private readonly dataSource: DataSource,
    private readonly engines: TtsEngineRegistry,
    private readonly sttEngines: SttEngineRegistry,
    private readonly chatEngines: ChatEngineRegistry,
    private readonly chatChain: ChatEngineChain,
    @Inject(BOOT_OPTIONS) private readonly runtime: GatewayRuntimeInfo,
    @Optional() private readonly rateLimitStorage?: RateLimitStorage,
  ) {}

  /** Present when rate limits count in Redis: down (degraded) while they fall back to memory. */
  private rateLimitCheck(): CheckResult | undefined {
    const state = this.rateLimitStorage?.state();
    if (!state || state.configured !== 'redis') return undefined;
    return state.degraded
      ? { status: 'down', latency_ms: 0, detail: 'Redis unreachable: rate limits counted per node in memory' }
      : { status: 'up', latency_ms: 0 };
  }

  async report(): Promise<HealthReport> {
    const config = this.config.current;
    const database = await this.checkDatabase();
    const configCheck: CheckResult = this.config.validation.valid
      ? { status: 'up', latency_ms: 0 }
      : {
          status: 'down',
          latency_ms: 0,
          detail: 'the last config.yaml edit was refused; see /config/validation',
        };
    const [tts, stt, chat] = await Promise.all([
      this.engines.statuses(),
      this.sttEngines.statuses(),
      this.chatEngines.statuses(),
    ]);
    const weighed = [
      ...weigh(this.engines, tts, (id) => ttsEngineChain(config, id).slice(1)),
      ...weigh(this.sttEngines, stt, (id) => stt.map((s) => s.id).filter((other) => other !== id)),
      ...weigh(this.chatEngines, chat, (id) => this.chatChain.resolve(id).slice(1)),
    ];
    // A conversation needs a chat engine: the router is only "on" when one can answer.
    const routerOn = (router: RouterName): boolean =>
      routerDisabledReason(config, router) === null &&
      (router !== 'core.conversation' || chat.some((engine) => engine.available));
    const rateLimitStore = this.rateLimitCheck();
    const checks: Record<string, CheckResult> = {
      database,
      config: configCheck,
      engines: enginesCheck(weighed),
      circuit_breakers: breakersCheck(weighed),
      ...(rateLimitStore ? { rate_limit_store: rateLimitStore } : {}),
    };
    const status =
      database.status === 'down'
        ? 'unhealthy'
        : Object.values(checks).some((check) => check.status !== 'up')
          ? 'degraded'
          : 'healthy';
    const report: HealthReport = {
      status,
      version: this.runtime.version,
      architecture: {
        mode: config.features.useNewRouters ? 'modular' : 'legacy',
        database: this.runtime.databaseKind,
        routers: Object.fromEntries(ROUTERS.map((router) => [router, routerOn(router)])) as Record<
          RouterName,
          boolean
        >,
        job_queue: jobQueueBackend(config),
      },
      features: {
        use_new_routers: config.features.useNewRouters,
        use_adapters: config.features.useAdapters,
        library_integration: config.features.libraryIntegration,
        enhanced_monitoring: config.features.enhancedMonitoring,
      },
      checks,
      engines: { tts, stt, chat },
      uptime_seconds: Math.round(process.uptime()),
    };
    if (config.features.enhancedMonitoring) {
      const memory = process.memoryUsage();
      report.process = {
        rss_mb: Math.round(memory.rss / 1048576),
        heap_used_mb: Math.round(memory.heapUsed / 1048576),
        event_loop_utilization: Math.round(performance.eventLoopUtilization().utilization * 1000) / 1000,
      };
    }
    return report;
  }

  /**
   * One `SELECT 1` at a time: reports asked for while one runs share its result (a burst of
   * probes costs one round trip, not one each). Never rejects.
   */
  private readonly checkDatabase = singleFlight(() => this.queryDatabase());

  private async queryDatabase(): Promise<CheckResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
            CHECK_TIMEOUT_MS,
          );
        }),
      ]);
      return { status: 'up', latency_ms: Math.round(performance.now() - started) };
    } catch (error) {
      return {
        status: 'down',
        latency_ms: Math.round(performance.now() - started),
        detail:
          error instanceof Error && error.message.startsWith('no answer') ? error.message : 'query failed',
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Each engine's status with its breaker state and the engines that stand in for it. */
function weigh<T extends ManagedEngine>(
  registry: EngineRegistry<T>,
  statuses: EngineStatus[],
  fallbacksOf: (id: string) => string[],
): WeighedEngine[] {
  const breakers = new Map(registry.resilienceStats().map(({ id, stats }) => [id, stats.breaker.state]));
  return statuses.map((status) => ({
    status,
    breaker: breakers.get(status.id) ?? null,
    fallbacks: fallbacksOf(status.id),
  }));
}
