import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, RequireScope } from '../accounts/auth/access.decorator.js';
import { AppError } from '../common/app-error.js';
import { Enveloped } from '../common/envelope.js';
import { configToDocument } from '../config/config.loader.js';
import { ConfigService } from '../config/config.service.js';
import type { EngineResilienceStatsSnapshot } from '../engines/resilience/engine-resilience-stats.js';
import { ChatEngineRegistry } from '../engines/chat-engine-registry.js';
import { SttEngineRegistry } from '../engines/stt-engine-registry.js';
import { TtsEngineRegistry } from '../engines/tts-engine-registry.js';

type EngineSection = 'tts' | 'stt' | 'chat';

interface EngineStats {
  id: string;
  kind: EngineSection;
  stats: EngineResilienceStatsSnapshot;
}

interface BreakerStatus {
  name: string;
  kind: EngineSection;
  state: EngineResilienceStatsSnapshot['breaker']['state'];
  transitions: EngineResilienceStatsSnapshot['breaker']['transitions'];
  rejections: EngineResilienceStatsSnapshot['rejections'];
}

function breakerOf({ id, kind, stats }: EngineStats): BreakerStatus {
  return {
    name: id,
    kind,
    state: stats.breaker.state,
    transitions: stats.breaker.transitions,
    rejections: stats.rejections,
  };
}

/**
 * What the per-engine policies are doing: breaker states, counters and latency, and the
 * settings they run under. Reading needs the `ops` scope (admin keys have it); changing
 * needs an admin key.
 */
@ApiTags('resilience')
@RequireScope('ops')
@Controller()
export class ResilienceController {
  constructor(
    private readonly ttsEngines: TtsEngineRegistry,
    private readonly sttEngines: SttEngineRegistry,
    private readonly chatEngines: ChatEngineRegistry,
    private readonly config: ConfigService,
  ) {}

  /** Every running engine of every kind (ids are unique across kinds: the config loader checks). */
  private all(): EngineStats[] {
    return [
      ...this.ttsEngines.resilienceStats().map((e) => ({ ...e, kind: 'tts' as const })),
      ...this.sttEngines.resilienceStats().map((e) => ({ ...e, kind: 'stt' as const })),
      ...this.chatEngines.resilienceStats().map((e) => ({ ...e, kind: 'chat' as const })),
    ];
  }

  @Get('circuit-breakers/status')
  @ApiOperation({ summary: 'Every engine’s circuit breaker: state, recent transitions, rejections' })
  allBreakers(): { breakers: BreakerStatus[] } {
    return { breakers: this.all().map(breakerOf) };
  }

  @Get('circuit-breakers/:name/status')
  @ApiOperation({ summary: 'One engine’s circuit breaker' })
  oneBreaker(@Param('name') name: string): BreakerStatus {
    const found = this.all().find(({ id }) => id === name);
    if (!found) throw new AppError('NOT_FOUND', `No engine '${name}' is running.`);
    return breakerOf(found);
  }

  @AdminOnly()
  @Post('circuit-breakers/:name/reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'Restart an engine with a closed breaker and zeroed counters' })
  reset(@Param('name') name: string): Enveloped<BreakerStatus> {
    if (!this.ttsEngines.reset(name) && !this.sttEngines.reset(name) && !this.chatEngines.reset(name))
      throw new AppError('NOT_FOUND', `No engine '${name}' is configured.`);
    const found = this.all().find(({ id }) => id === name);
    if (!found) throw new AppError('NOT_FOUND', `Engine '${name}' could not be started; see GET /health.`);
    return new Enveloped(breakerOf(found), `Engine '${name}' was reset.`);
  }

  @Get('resilience/status')
  @ApiOperation({ summary: 'The resilience settings in force and each engine’s breaker state' })
  status(): { settings: unknown; engines: Array<{ id: string; kind: EngineSection; breaker: string }> } {
    return {
      settings: configToDocument(this.config.current)['resilience'],
      engines: this.all().map(({ id, kind, stats }) => ({ id, kind, breaker: stats.breaker.state })),
    };
  }

  @Get('resilience/metrics')
  @ApiOperation({
    summary:
      'Per engine: calls, successes, failures, timeouts, retries, rejections, transitions, latency p50/p95/p99',
  })
  metrics(): { engines: Array<{ id: string; kind: EngineSection } & EngineResilienceStatsSnapshot> } {
    return { engines: this.all().map(({ id, kind, stats }) => ({ id, kind, ...stats })) };
  }

  /** Same validation and write path as PATCH /config, limited to the `resilience:` section. */
  @AdminOnly()
  @Post('resilience/config')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Change resilience settings (merge patch of the resilience: section); engines are rebuilt',
  })
  async updateConfig(@Body() body: unknown): Promise<Enveloped<unknown>> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new AppError('VALIDATION_FAILED', 'The body must be a JSON object of resilience settings.');
    }
    await this.config.patch({ resilience: body });
    return new Enveloped(configToDocument(this.config.current)['resilience'], 'Resilience settings applied.');
  }
}
