import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig, EngineEntryConfig } from '../config/config.schema.js';
import { connectDatabase } from '../database/database-connection.js';
import { migrationStatus } from '../database/migration-status.js';
import { CHAT_ENGINE_FACTORIES } from '../engines/chat-engine-factories.js';
import type { EngineContext, EngineFactory } from '../engines/ports/engine-factory.js';
import type { EngineHealth } from '../engines/ports/engine-health.js';
import { STT_ENGINE_FACTORIES } from '../engines/stt-engine-factories.js';
import { TTS_ENGINE_FACTORIES } from '../engines/tts-engine-factories.js';
import type { DoctorCheckResult } from './doctor-result.js';

/** How long one engine's or Redis's answer is awaited. */
const CHECK_TIMEOUT_MS = 20_000;

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(messageOf).join('; ');
  return error instanceof Error ? error.message || error.name : String(error);
}

async function withTimeout<T>(work: Promise<T>, what: string, ms = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Connects as the server would (without migrating) and lists the migrations not yet applied. */
export async function databaseChecks(
  config: AppConfig,
  rootDir: string,
  logger: Logger,
): Promise<DoctorCheckResult[]> {
  const where = config.database.url
    ? 'PostgreSQL (database.url)'
    : `embedded (${config.database.embedded.dataDir})`;
  let database;
  try {
    database = await connectDatabase({ config: config.database, rootDir, logger, runMigrations: false });
  } catch (error) {
    return [
      { check: 'database', status: 'fail', detail: `${where} is not reachable: ${messageOf(error)}` },
      { check: 'migrations', status: 'skip', detail: 'needs the database' },
    ];
  }
  try {
    await database.dataSource.query('SELECT 1');
    const migrations = await migrationStatus(database.dataSource);
    const pending = migrations.filter((m) => !m.applied).map((m) => m.name);
    const migrationsResult: DoctorCheckResult =
      pending.length === 0
        ? { check: 'migrations', status: 'ok', detail: `all ${migrations.length} applied` }
        : {
            // Pending ones are applied at start unless that is switched off; then the server would run on an old schema.
            check: 'migrations',
            status: config.database.runMigrationsOnStart ? 'warn' : 'fail',
            detail: `${pending.length} pending (${pending.join(', ')}); ${
              config.database.runMigrationsOnStart
                ? 'applied at the next start'
                : 'run: npm run migrate (database.run_migrations_on_start is false)'
            }`,
          };
    return [{ check: 'database', status: 'ok', detail: `${where} answers` }, migrationsResult];
  } catch (error) {
    return [{ check: 'database', status: 'fail', detail: `${where}: ${messageOf(error)}` }];
  } finally {
    await database.close();
  }
}

export async function redisCheck(config: AppConfig): Promise<DoctorCheckResult> {
  const { store, redisUrl } = config.rateLimits;
  if (store !== 'redis' || !redisUrl) {
    return { check: 'redis', status: 'skip', detail: `not configured (rate_limits.store: ${store})` };
  }
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 3000,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // reported by connect() below
  const shown = redisUrl.replace(/\/\/[^@/]*@/, '//***@');
  try {
    await withTimeout(redis.connect(), 'Redis');
    await withTimeout(redis.ping(), 'Redis');
    return { check: 'redis', status: 'ok', detail: `${shown} answers` };
  } catch (error) {
    return { check: 'redis', status: 'fail', detail: `${shown} is not reachable: ${messageOf(error)}` };
  } finally {
    redis.disconnect();
  }
}

interface CheckableEngine {
  health(): Promise<EngineHealth>;
  dispose(): Promise<void>;
}

/** The registries' gate, without their resilience wrappers: why the server would not use this engine. */
function gateReason(config: AppConfig, factory: EngineFactory<CheckableEngine>): string | null {
  if (!config.features.useAdapters) return 'features.use_adapters is off';
  if (factory.kind === 'library' && !config.features.libraryIntegration) {
    return 'features.library_integration is off (this engine runs in-process as a library)';
  }
  return null;
}

async function engineCheck(
  config: AppConfig,
  section: 'tts' | 'stt' | 'chat',
  entry: EngineEntryConfig,
  factories: ReadonlyArray<EngineFactory<CheckableEngine>>,
  context: EngineContext,
): Promise<DoctorCheckResult> {
  const check = `engine ${section} ${entry.id}`;
  if (!entry.enabled) return { check, status: 'skip', detail: 'disabled in config.yaml (enabled: false)' };
  const factory = factories.find((f) => f.type === entry.type);
  if (!factory) {
    return {
      check,
      status: 'fail',
      detail: `unknown engine type '${entry.type}' (known: ${factories.map((f) => f.type).join(', ')})`,
    };
  }
  const gate = gateReason(config, factory);
  if (gate) return { check, status: 'skip', detail: gate };
  let engine: CheckableEngine;
  try {
    engine = factory.create({ id: entry.id, options: entry.options }, context);
  } catch (error) {
    return { check, status: 'fail', detail: `engines.${section} '${entry.id}': ${messageOf(error)}` };
  }
  try {
    const health = await withTimeout(engine.health(), `engine ${entry.id}`);
    return health.available
      ? { check, status: 'ok', detail: `${entry.type} available` }
      : { check, status: 'fail', detail: health.reason ?? 'the engine reports itself unavailable' };
  } catch (error) {
    return { check, status: 'fail', detail: messageOf(error) };
  } finally {
    await engine.dispose().catch(() => undefined);
  }
}

/** Builds each configured engine on its own and asks its health: the reason of an unavailable one says what to install. */
export async function engineChecks(config: AppConfig, context: EngineContext): Promise<DoctorCheckResult[]> {
  const sections = [
    ['tts', TTS_ENGINE_FACTORIES],
    ['stt', STT_ENGINE_FACTORIES],
    ['chat', CHAT_ENGINE_FACTORIES],
  ] as const;
  const results: DoctorCheckResult[] = [];
  for (const [section, factories] of sections) {
    for (const entry of config.engines[section]) {
      results.push(await engineCheck(config, section, entry, factories, context));
    }
  }
  if (results.length === 0)
    results.push({ check: 'engines', status: 'warn', detail: 'no engine is configured' });
  return results;
}
