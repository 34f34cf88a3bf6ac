import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  resilienceFor,
  type AppConfig,
  type EngineEntryConfig,
  type ResilienceConfig,
} from '../config/config.schema.js';
import type { ConfigService } from '../config/config.service.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { lazyResampler } from './engine-resampler.js';
import type { ClipResampler } from './ports/audio-clip.js';
import type { EngineFactory } from './ports/engine-factory.js';
import type { EngineHealth, EngineKind } from './ports/engine-health.js';
import type { EngineCallObserver } from './resilience/engine-call-observer.js';
import type { EngineResilienceStatsSnapshot } from './resilience/engine-resilience-stats.js';
import type { ResilienceSettings } from './resilience/resilience-policy.factory.js';

/** What the registry needs of an engine of any kind (TTS, STT, chat). */
export interface ManagedEngine {
  readonly id: string;
  readonly type: string;
  health(): Promise<EngineHealth>;
  dispose(): Promise<void>;
}

/** An engine behind its resilience policy (what `wrap` returns). */
export type GuardedEngine<TEngine> = TEngine & { stats(): EngineResilienceStatsSnapshot };

/** What differs between the registries of each kind of engine. */
export interface EngineRegistrySpec<TEngine extends ManagedEngine> {
  /** The list under `engines:` in config.yaml. */
  section: 'tts' | 'stt' | 'chat';
  /** "TTS", "STT": used in messages. */
  label: string;
  factories: ReadonlyArray<EngineFactory<TEngine>>;
  /**
   * Puts the engine behind its own resilience policy; `observer` (metrics) goes to its
   * EngineCallGuard's options.
   */
  wrap(
    engine: TEngine,
    resilience: ResilienceSettings,
    logger: Logger,
    observer?: EngineCallObserver,
  ): GuardedEngine<TEngine>;
}

/** What /tts/voices and /health say about one configured engine. */
export interface EngineStatus {
  id: string;
  type: string;
  kind: EngineKind | null;
  priority: number;
  available: boolean;
  /** Why it cannot serve, in words an operator can act on. */
  reason: string | null;
}

interface BuiltEngine<TEngine> {
  entry: EngineEntryConfig;
  hash: string;
  kind: EngineKind | null;
  engine: GuardedEngine<TEngine> | null;
  createError: string | null;
  inFlight: number;
  retired: boolean;
}

/** A borrowed engine: call release() when the request is done with it. */
export interface EngineLease<TEngine> {
  engine: TEngine;
  release(): void;
}

/** An engine is rebuilt when its entry or the resilience settings it runs under change. */
function hashOf(entry: EngineEntryConfig, resilience: ResilienceConfig): string {
  return createHash('sha256').update(JSON.stringify({ entry, resilience })).digest('hex');
}

/**
 * Builds the engines of one kind from their list under `engines:` in config.yaml and
 * rebuilds only the entries that changed when the config changes. A replaced engine keeps
 * serving the requests that already hold it and is disposed when the last one releases
 * it, so a live edit never drops an in-flight request. The feature flags decide which
 * engines may be used. Every engine runs behind its own resilience policy.
 */
export abstract class EngineRegistry<TEngine extends ManagedEngine>
  implements OnModuleInit, OnApplicationShutdown
{
  private engines = new Map<string, BuiltEngine<TEngine>>();
  private readonly factories: Map<string, EngineFactory<TEngine>>;
  private unsubscribe?: () => void;

  protected constructor(
    private readonly spec: EngineRegistrySpec<TEngine>,
    private readonly config: ConfigService,
    private readonly logger: Logger,
    private readonly runtime: GatewayRuntimeInfo,
    /** Given to every engine (EngineContext.resample); the app passes its AudioTranscoder's. */
    private readonly resample: ClipResampler = lazyResampler,
  ) {
    this.factories = new Map(spec.factories.map((factory) => [factory.type, factory]));
  }

  onModuleInit(): void {
    this.rebuild(this.config.current);
    this.unsubscribe = this.config.onChange((next) => this.rebuild(next));
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    const all = [...this.engines.values()];
    this.engines.clear();
    await Promise.all(all.map((built) => this.dispose(built)));
  }

  /** The engine to serve a request, or why it cannot. */
  lease(id: string): EngineLease<TEngine> | { unavailable: string } {
    const built = this.engines.get(id);
    if (!built) return { unavailable: `no ${this.spec.label} engine '${id}' is configured` };
    const reason = this.gateReason(built);
    if (reason || !built.engine) return { unavailable: reason ?? 'not built' };
    const engine = built.engine;
    built.inFlight++;
    let released = false;
    return {
      engine,
      release: () => {
        if (released) return;
        released = true;
        built.inFlight--;
        if (built.retired && built.inFlight === 0) void this.dispose(built);
      },
    };
  }

  /** Configured engines, best first (priority, then order in config.yaml). */
  ids(): string[] {
    return [...this.engines.values()]
      .map((built, index) => ({ built, index }))
      .sort((a, b) => a.built.entry.priority - b.built.entry.priority || a.index - b.index)
      .map(({ built }) => built.entry.id);
  }

  async statuses(): Promise<EngineStatus[]> {
    return Promise.all(
      this.ids().map(async (id) => {
        const built = this.engines.get(id) as BuiltEngine<TEngine>;
        let reason = this.gateReason(built);
        if (!reason && built.engine) {
          const health = await built.engine.health().catch((error: unknown) => ({
            available: false,
            reason: error instanceof Error ? error.message : 'health check failed',
          }));
          if (!health.available) reason = health.reason ?? 'the engine reports itself unavailable';
        }
        return {
          id,
          type: built.entry.type,
          kind: built.kind,
          priority: built.entry.priority,
          available: reason === null,
          reason,
        };
      }),
    );
  }

  /** Breaker state and counters of every built engine, best first. */
  resilienceStats(): Array<{ id: string; stats: EngineResilienceStatsSnapshot }> {
    return this.ids().flatMap((id) => {
      const engine = this.engines.get(id)?.engine;
      return engine ? [{ id, stats: engine.stats() }] : [];
    });
  }

  /**
   * Starts an engine afresh (closed breaker, zeroed counters) the same way a config edit
   * would: requests holding the old instance finish on it. False when no such engine.
   */
  reset(id: string): boolean {
    const built = this.engines.get(id);
    if (!built) return false;
    this.retire(built);
    this.engines.set(id, this.build(built.entry, built.hash, this.config.current.resilience));
    this.logger.info({ engine: id }, 'engine reset by an operator');
    return true;
  }

  private gateReason(built: BuiltEngine<TEngine>): string | null {
    const features = this.config.current.features;
    if (!built.entry.enabled) return 'disabled in config.yaml (enabled: false)';
    if (built.createError) return built.createError;
    if (!features.useAdapters) return 'features.use_adapters is off';
    if (built.kind === 'library' && !features.libraryIntegration) {
      return 'features.library_integration is off (this engine runs in-process as a library)';
    }
    return null;
  }

  private rebuild(config: AppConfig): void {
    const next = new Map<string, BuiltEngine<TEngine>>();
    for (const entry of config.engines[this.spec.section]) {
      const hash = hashOf(entry, config.resilience);
      const existing = this.engines.get(entry.id);
      if (existing && existing.hash === hash) {
        next.set(entry.id, existing);
        continue;
      }
      next.set(entry.id, this.build(entry, hash, config.resilience));
    }
    for (const [id, built] of this.engines) {
      if (next.get(id) !== built) this.retire(built);
    }
    this.engines = next;
  }

  private build(entry: EngineEntryConfig, hash: string, resilience: ResilienceConfig): BuiltEngine<TEngine> {
    const factory = this.factories.get(entry.type);
    const built: BuiltEngine<TEngine> = {
      entry,
      hash,
      kind: factory?.kind ?? null,
      engine: null,
      createError: null,
      inFlight: 0,
      retired: false,
    };
    if (!factory) {
      built.createError = `unknown engine type '${entry.type}' (known: ${[...this.factories.keys()].join(', ')})`;
      this.logger.error({ engine: entry.id }, built.createError);
      return built;
    }
    if (!entry.enabled) return built;
    try {
      const logger = this.logger.child({ engine: entry.id });
      // Every engine runs behind its own policy (timeout, retry, breaker, bulkhead); callers cannot tell.
      built.engine = this.spec.wrap(
        factory.create(
          { id: entry.id, options: entry.options },
          {
            logger,
            folders: this.runtime.folders,
            configDir: dirname(this.config.configPath),
            resample: this.resample,
          },
        ),
        resilienceFor(resilience, entry.resilience),
        logger,
        this.runtime.engineCallObserver,
      );
      this.logger.info({ engine: entry.id, type: entry.type }, 'engine built');
    } catch (error) {
      built.createError = `engines.${this.spec.section} '${entry.id}': ${error instanceof Error ? error.message : String(error)}`;
      this.logger.error({ engine: entry.id }, built.createError);
    }
    return built;
  }

  private retire(built: BuiltEngine<TEngine>): void {
    built.retired = true;
    if (built.inFlight === 0) void this.dispose(built);
  }

  private async dispose(built: BuiltEngine<TEngine>): Promise<void> {
    try {
      await built.engine?.dispose();
    } catch (error) {
      this.logger.warn({ err: error, engine: built.entry.id }, 'engine dispose failed');
    }
  }
}
