import 'reflect-metadata';
import { availableParallelism } from 'node:os';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsStringMap } from './is-string-map.decorator.js';

/*
 * The typed shape of config/config.yaml. Property names are the camelCase form of the
 * operator's snake_case keys (converted once by config-keys.ts); initialisers are the
 * defaults used when a key is absent. Every property carries a decorator so that unknown
 * keys are reported instead of ignored. config/config.example.yaml documents each knob.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const AUDIO_UPLOAD_FORMATS = ['wav', 'mp3', 'm4a', 'flac', 'ogg', 'webm'] as const;

export class ServerConfig {
  /** 0 picks a free port (tests). */
  @IsInt() @Min(0) @Max(65535) port = 8004;
  @IsString() host = '0.0.0.0';
  /** Older spelling of cors.allowed_origins (both are honoured, live). */
  @IsArray() @IsString({ each: true }) corsOrigins: string[] = [];
  /** The header that carries the request id in and out (CORRELATION_ID_HEADER); X-Request-ID is always echoed too. */
  @IsString() @Matches(/^[A-Za-z0-9-]{1,64}$/) requestIdHeader = 'X-Request-ID';
  /** Largest JSON body accepted, in kilobytes. */
  @IsInt() @IsPositive() maxJsonBodyKb = 1024;
  /** Deepest nesting of objects and arrays a JSON body may have (400 VALIDATION_FAILED beyond). */
  @IsInt() @Min(1) @Max(1000) maxJsonDepth = 64;
  /**
   * How long shutdown lets in-flight requests finish; the ones still running are then
   * aborted and their quota reservations released.
   */
  @IsNumber() @IsPositive() shutdownTimeoutSeconds = 10;
}

/** Browser cross-origin access, read per request (live). */
export class CorsConfig {
  /** Exact origins (`https://app.example.com`) or `*` for any; empty (and no server.cors_origins) = CORS off. */
  @IsArray() @IsString({ each: true }) @MaxLength(512, { each: true }) allowedOrigins: string[] = [];
  @IsArray() @Matches(/^[A-Za-z]{1,16}$/, { each: true }) allowedMethods: string[] = [
    'GET',
    'HEAD',
    'POST',
    'PUT',
    'PATCH',
    'DELETE',
  ];
  /** Request headers a browser may send cross-origin. */
  @IsArray() @Matches(/^[A-Za-z0-9-]{1,64}$/, { each: true }) allowedHeaders: string[] = [
    'Authorization',
    'Content-Type',
    'Accept',
    'X-Request-ID',
  ];
  /** Cookies and Authorization on cross-origin requests (never with `*`). */
  @IsBoolean() allowCredentials = false;
  /** How long a browser may cache a preflight answer. */
  @IsInt() @Min(0) @Max(86400) maxAgeSeconds = 600;
}

export class AuthConfig {
  @IsBoolean() enforce = true;
  /** Plan of the keyless development user (auth.enforce: false). */
  @IsString() devUserPlan = 'enterprise';
  /** Hours a rotated key keeps working beside its successor. */
  @IsNumber() @Min(0) keyRotationGraceHours = 24;
  /** Quota reservation, usage logs and per-user concurrency; off only for benchmarks or trusted single-user setups. */
  @IsBoolean() metering = true;
  /**
   * A quota reservation expires this long after it was last renewed; the sweeper then gives
   * its seconds back. A running server renews its own reservations, so this only bounds how
   * long seconds held by a crashed server (kill -9) stay charged.
   */
  @IsNumber() @Min(1) reservationTtlSeconds = 300;
  /** How often expired reservations are swept and live ones renewed (also once at start). */
  @IsNumber() @Min(0.1) reservationSweepIntervalSeconds = 30;
  /**
   * A verified API key is reused for this long without asking the database. Revoking,
   * rotating or deleting a key and deactivating a user take effect at once on the node that
   * did it and, through Redis (rate_limits.redis_url) or else PostgreSQL notifications, on
   * the others; this is the bound when such a notice is lost (or with the embedded
   * database, which has none). 0 = every request reads its key from the database. The
   * notices are set up at start when this is above 0.
   */
  @IsNumber() @Min(0) @Max(3600) keyCacheSeconds = 30;
}

export class FeaturesConfig {
  /** Phase 1: the modular core routers (/tts, /stt, /conversation) answer. */
  @IsBoolean() useNewRouters = true;
  /** Phase 2: requests are served by engine adapters from `engines:`. */
  @IsBoolean() useAdapters = true;
  /** Phase 3: engines that run as in-process libraries (WASM, native bindings) may be used. */
  @IsBoolean() libraryIntegration = false;
  /** Phase 4: detailed checks in /health and extra analytics fields. */
  @IsBoolean() enhancedMonitoring = false;
}

export class TtsCacheConfig {
  @IsBoolean() enabled = true;
  /** Bound of outputs/cache; least recently used results are evicted beyond it. */
  @IsNumber() @IsPositive() maxSizeMb = 256;
  /**
   * Audio of the most recently used results also kept in memory, so a hit costs no disk
   * read; least recently used first out beyond it. A result larger than a quarter of this
   * is always read from disk. 0 = hits are read from disk.
   */
  @IsNumber() @Min(0) memoryMb = 64;
  /**
   * X-Cache and the JSON `cache` field for every caller. Off: only admin keys (and keyless
   * development) see them, because a hit tells one tenant what another synthesised.
   */
  @IsBoolean() exposeStatus = false;
}

/** Limits on what SSML markup may ask for; checked before any engine runs (400 VALIDATION_FAILED). */
export class TtsSsmlConfig {
  /** Longest single <break> (time or strength). */
  @IsNumber() @Min(0) @Max(3600) maxBreakSeconds = 10;
  /** All pauses of one request together. */
  @IsNumber() @Min(0) @Max(86400) maxTotalPauseSeconds = 60;
  /** Slowest <prosody rate>, nested rates multiplied, in percent of the request's own rate. */
  @IsNumber() @Min(1) @Max(100) minProsodyRatePercent = 50;
}

export class TtsRouterConfig {
  @IsBoolean() enabled = true;
  @IsInt() @IsPositive() maxTextLength = 5000;
  @IsBoolean() enableStatistics = true;
  /**
   * Chunks of one request synthesised at the same time (they still leave in order).
   * Default: the machine's cores (at least 2, at most 16), so one long text uses every
   * espeak worker.
   */
  @IsInt() @Min(1) @Max(16) maxConcurrentChunks = Math.min(16, Math.max(2, availableParallelism()));
  /**
   * Engine ids tried, in order, for every voice after its own engine's `fallback:` chain
   * (the route's default chain); see config/engine-fallback.ts.
   */
  @IsArray() @IsString({ each: true }) fallback: string[] = [];
  /**
   * Most audio one request may produce: synthesis stops beyond it (413 AUDIO_TOO_LONG, or
   * a stream ends there). Bounds one request's memory (10 min of 22 kHz PCM is 26 MB).
   */
  @IsNumber() @IsPositive() @Max(86400) maxAudioSeconds = 600;
  /**
   * A non-streamed answer whose text is expected to make more audio than this (seconds,
   * at the ordinary rate) is joined and encoded chunk by chunk into a temporary file,
   * sent from there and cached by copying the file: memory holds only the chunks being
   * synthesised, however long the text. Shorter answers are built in memory. 0: always a file.
   */
  @IsNumber() @Min(0) @Max(86400) inMemoryAudioSeconds = 60;
  @ValidateNested() @Type(() => TtsCacheConfig) cache = new TtsCacheConfig();
  @ValidateNested() @Type(() => TtsSsmlConfig) ssml = new TtsSsmlConfig();
}

/** Bounds on a request's `grammar` (JSGF) and `vocabulary`, checked before any decoder runs. */
export class SttGrammarConfig {
  /** Rule definitions in one grammar. */
  @IsInt() @Min(1) @Max(10_000) maxRules = 256;
  /**
   * Words and rule references once every reference is replaced by its rule (the size of the
   * decoder's graph); a vocabulary's words count against it too.
   */
  @IsInt() @Min(1) @Max(1_000_000) maxExpansion = 3000;
  /** Nesting of brackets and rule references. */
  @IsInt() @Min(1) @Max(64) maxDepth = 32;
}

export class SttRouterConfig {
  @IsBoolean() enabled = true;
  @IsNumber() @IsPositive() maxFileSizeMb = 50;
  /** Longer audio is refused (413 AUDIO_TOO_LONG); at most this much is ever decoded. */
  @IsNumber() @IsPositive() @Max(86400) maxAudioSeconds = 600;
  @IsArray() @IsIn(AUDIO_UPLOAD_FORMATS, { each: true }) supportedFormats: string[] = [
    'wav',
    'mp3',
    'm4a',
    'flac',
  ];
  @ValidateNested() @Type(() => SttGrammarConfig) grammar = new SttGrammarConfig();
}

export class ConversationRouterConfig {
  @IsBoolean() enabled = true;
  /** When every chat engine of a turn's chain fails, the local intents engine(s) answer. */
  @IsBoolean() fallbackToAdapters = true;
  /** Past turns (user and assistant) sent to the chat engine with each new one. */
  @IsInt() @Min(0) @Max(200) historyTurns = 10;
  /** Sent first to open chat engines (LLMs); the intents engine ignores it. */
  @IsString() @MaxLength(8000) systemPrompt =
    'You are a helpful voice assistant. Answer in one to three short spoken sentences.';
  /** Conversations untouched for longer are deleted with their turns. */
  @IsInt() @Min(1) @Max(3650) retentionDays = 30;
  /** Longest text turn in characters (longer: 400). */
  @IsInt() @Min(1) @Max(100_000) maxTextLength = 2000;
  /** Longest spoken turn (longer: 413 AUDIO_TOO_LONG). */
  @IsNumber() @IsPositive() @Max(3600) maxAudioSeconds = 60;
}

export class JobsWebhooksConfig {
  /**
   * Host names (or IP literals) a callback_url may name even when they resolve to a
   * private or loopback address; every other destination must resolve to public addresses.
   */
  @IsArray() @IsString({ each: true }) allowedHosts: string[] = [];
}

export class JobsRouterConfig {
  @IsBoolean() enabled = true;
  /** Longest TTS job text in characters (longer: 400 TEXT_TOO_LONG). */
  @IsInt() @IsPositive() @Max(10_000_000) maxTextLength = 200_000;
  /** Most audio one job may produce (TTS) or decode (STT). */
  @IsNumber() @IsPositive() @Max(86400) maxAudioSeconds = 14_400;
  /** Jobs one server runs at the same time (each node of a cluster runs its own). */
  @IsInt() @Min(0) @Max(64) concurrency = 2;
  /** A running job whose server sent no heartbeat for this long is taken over by another. */
  @IsInt() @Min(3) @Max(600) staleAfterSeconds = 15;
  /**
   * STT jobs on longer audio are transcribed in segments of at most this many seconds, each
   * cut at the quietest point of its last few seconds (so words are not split); progress
   * then follows the audio transcribed. Shorter audio is transcribed in one piece.
   */
  @IsNumber() @Min(2) @Max(600) sttSegmentSeconds = 30;
  /** Runs of one job (the first and the takeovers after a server died) before it fails. */
  @IsInt() @Min(1) @Max(10) maxAttempts = 3;
  /**
   * What delivers job ids to servers: `database` (pg-boss in the gateway's database),
   * `redis` (BullMQ on rate_limits.redis_url / REDIS_URL), or `auto` = redis when that URL is set.
   * The jobs table stays the record of every job either way.
   */
  @IsIn(['auto', 'database', 'redis']) queue: 'auto' | 'database' | 'redis' = 'auto';
  /** Prefix of the queue's Redis keys, so deployments can share one Redis. */
  @IsString() @Matches(/^[A-Za-z0-9:._-]{1,64}$/) redisKeyPrefix = 'speech-gateway:jobs';
  @ValidateNested() @Type(() => JobsWebhooksConfig) webhooks = new JobsWebhooksConfig();
}

export class CoreRoutersConfig {
  @ValidateNested() @Type(() => TtsRouterConfig) tts = new TtsRouterConfig();
  @ValidateNested() @Type(() => SttRouterConfig) stt = new SttRouterConfig();
  @ValidateNested() @Type(() => ConversationRouterConfig) conversation = new ConversationRouterConfig();
  @ValidateNested() @Type(() => JobsRouterConfig) jobs = new JobsRouterConfig();
}

export class ConfigRouterConfig {
  @IsBoolean() enabled = true;
  /** GET /config/validation answers. */
  @IsBoolean() enableValidation = true;
}

export class ReferenceAudioFilesConfig {
  /** Longer reference audio is refused (413 AUDIO_TOO_LONG); at most this much is decoded to check. */
  @IsNumber() @IsPositive() @Max(3600) maxAudioSeconds = 60;
}

export class OutputFilesConfig {
  /** Outputs (job results, uploads to outputs/) older than this are deleted; 0 = kept until deleted. */
  @IsInt() @Min(0) @Max(36500) retentionDays = 7;
}

export class FilesRouterConfig {
  @IsBoolean() enabled = true;
  @IsBoolean() enableAnalytics = false;
  /** Largest single upload to POST /files/{folder} (413 FILE_TOO_LARGE); voice definitions: at most 64 KB. */
  @IsNumber() @IsPositive() maxUploadSizeMb = 50;
  @ValidateNested() @Type(() => ReferenceAudioFilesConfig) referenceAudio = new ReferenceAudioFilesConfig();
  @ValidateNested() @Type(() => OutputFilesConfig) outputs = new OutputFilesConfig();
}

export class UiRouterConfig {
  /** The operator console at /ui (static pages that speak the public API with the visitor's key). */
  @IsBoolean() enabled = true;
}

export class ManagementRoutersConfig {
  @ValidateNested() @Type(() => ConfigRouterConfig) config = new ConfigRouterConfig();
  @ValidateNested() @Type(() => FilesRouterConfig) files = new FilesRouterConfig();
  @ValidateNested() @Type(() => UiRouterConfig) ui = new UiRouterConfig();
}

export class RoutersConfig {
  @ValidateNested() @Type(() => CoreRoutersConfig) core = new CoreRoutersConfig();
  @ValidateNested() @Type(() => ManagementRoutersConfig) management = new ManagementRoutersConfig();
}

export class TimingMiddlewareConfig {
  @IsBoolean() enabled = true;
  /** Seconds; slower requests are logged as warnings. */
  @IsNumber() @IsPositive() slowRequestThreshold = 5.0;
}

export class LoggingMiddlewareConfig {
  @IsBoolean() enabled = true;
  @IsIn(LOG_LEVELS) logLevel: LogLevel = 'info';
  @IsIn(['json', 'pretty']) format: 'json' | 'pretty' = 'json';
}

export class AnalyticsMiddlewareConfig {
  @IsBoolean() enabled = true;
  @IsInt() @Min(1) retentionDays = 30;
}

export class MiddlewareConfig {
  @ValidateNested() @Type(() => TimingMiddlewareConfig) timing = new TimingMiddlewareConfig();
  @ValidateNested() @Type(() => LoggingMiddlewareConfig) logging = new LoggingMiddlewareConfig();
  @ValidateNested() @Type(() => AnalyticsMiddlewareConfig) analytics = new AnalyticsMiddlewareConfig();
}

export class MetricsConfig {
  /** GET /metrics answers (admin or `ops` keys); off → 404 FEATURE_DISABLED and no metrics port. */
  @IsBoolean() enabled = true;
  /**
   * Restart. When set, /metrics is also served without authentication on this port (same
   * host as the server), for a Prometheus that cannot hold an API key; keep it off the
   * public network.
   */
  @IsOptional() @IsInt() @Min(1) @Max(65535) port?: number;
}

export class GenerationConfig {
  @IsNumber() @Min(0) @Max(2) defaultTemperature = 0.8;
  @IsNumber() @Min(0.25) @Max(4) defaultSpeedFactor = 1.0;
  @IsNumber() @Min(0) @Max(2) defaultExaggeration = 0.5;
  @IsNumber() @Min(0) @Max(1) defaultCfgWeight = 0.5;
  /** Long text is split into chunks of at most this many characters. */
  @IsInt() @Min(20) @Max(5000) chunkSize = 200;
  /**
   * A streamed answer's first chunk is cut to at most this many characters (at a sentence,
   * clause or word boundary), so its audio is synthesised and sent sooner; 0 keeps it
   * chunk_size. The other chunks keep chunk_size.
   */
  @IsInt() @Min(0) @Max(5000) streamFirstChunkSize = 60;
  /** Voice used when a request names none (a friendly name from GET /tts/voices). */
  @IsString() defaultVoice = 'en-us';
  @IsIn(['wav', 'mp3', 'opus', 'aac', 'flac', 'pcm']) defaultResponseFormat: string = 'wav';
}

export class OpenAiCompatConfig {
  /** OpenAI voice name → a voice's friendly name, so OpenAI client code runs unchanged. */
  @IsStringMap() voiceMap: Record<string, string> = {
    alloy: 'en-us',
    ash: 'en-gb',
    ballad: 'en-gb',
    coral: 'en-us',
    echo: 'en-gb',
    fable: 'en-gb',
    onyx: 'en-us',
    nova: 'en-us',
    sage: 'en-gb',
    shimmer: 'en-us',
    verse: 'en-us',
  };
  /** Model ids /v1/models lists; any of them (or an engine id) is accepted as `model`. */
  @IsArray() @IsString({ each: true }) models: string[] = [
    'tts-1',
    'tts-1-hd',
    'gpt-4o-mini-tts',
    'whisper-1',
    'gpt-4o-transcribe',
    'gpt-4o-mini-transcribe',
  ];
  /**
   * Chat model name → the engines.chat id that answers it (then its `fallback:` chain), for
   * names a client sends as `model` that no engine lists in its `models` option.
   */
  @IsStringMap() chatModels: Record<string, string> = {};
}

/** The longest delay Node's timers accept (2^31 - 1 ms), in whole seconds: longer ones fire at once. */
const MAX_TIMER_SECONDS = 2_147_483;

export class RetryConfig {
  @IsInt() @Min(1) @Max(10) maxAttempts = 3;
  @IsNumber() @Min(1) backoffFactor = 2;
  @IsInt() @Min(0) initialDelayMs = 200;
}

export class CircuitBreakerConfig {
  /** false: failures never open the breaker (CIRCUIT_BREAKER_ENABLED=false). Optional in the type so literal settings stay valid. */
  @IsBoolean() enabled?: boolean = true;
  @IsInt() @Min(1) failureThreshold = 5;
  @IsNumber() @IsPositive() @Max(MAX_TIMER_SECONDS) timeoutSeconds = 60;
  @IsInt() @Min(1) halfOpenMaxCalls = 3;
}

export class BulkheadConfig {
  @IsInt() @Min(1) maxConcurrent = 10;
  @IsInt() @Min(0) queue = 50;
}

export class ResilienceConfig {
  @IsNumber() @IsPositive() @Max(MAX_TIMER_SECONDS) timeoutSeconds = 30;
  @ValidateNested() @Type(() => RetryConfig) retry = new RetryConfig();
  @ValidateNested() @Type(() => CircuitBreakerConfig) circuitBreaker = new CircuitBreakerConfig();
  @ValidateNested() @Type(() => BulkheadConfig) bulkhead = new BulkheadConfig();
}

/** Per-engine resilience: any key given here replaces the global `resilience:` value for this engine. */
export class RetryOverrides {
  @IsOptional() @IsInt() @Min(1) @Max(10) maxAttempts?: number;
  @IsOptional() @IsNumber() @Min(1) backoffFactor?: number;
  @IsOptional() @IsInt() @Min(0) initialDelayMs?: number;
}

export class CircuitBreakerOverrides {
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional() @IsInt() @Min(1) failureThreshold?: number;
  @IsOptional() @IsNumber() @IsPositive() @Max(MAX_TIMER_SECONDS) timeoutSeconds?: number;
  @IsOptional() @IsInt() @Min(1) halfOpenMaxCalls?: number;
}

export class BulkheadOverrides {
  @IsOptional() @IsInt() @Min(1) maxConcurrent?: number;
  @IsOptional() @IsInt() @Min(0) queue?: number;
}

export class ResilienceOverrides {
  @IsOptional() @IsNumber() @IsPositive() @Max(MAX_TIMER_SECONDS) timeoutSeconds?: number;
  @IsOptional() @ValidateNested() @Type(() => RetryOverrides) retry?: RetryOverrides;
  @IsOptional()
  @ValidateNested()
  @Type(() => CircuitBreakerOverrides)
  circuitBreaker?: CircuitBreakerOverrides;
  @IsOptional() @ValidateNested() @Type(() => BulkheadOverrides) bulkhead?: BulkheadOverrides;
}

/** The global `resilience:` settings with an engine's own overrides applied. */
export function resilienceFor(
  global: ResilienceConfig,
  overrides: ResilienceOverrides | undefined,
): ResilienceConfig {
  if (!overrides) return global;
  return {
    timeoutSeconds: overrides.timeoutSeconds ?? global.timeoutSeconds,
    retry: { ...global.retry, ...definedOnly(overrides.retry) },
    circuitBreaker: { ...global.circuitBreaker, ...definedOnly(overrides.circuitBreaker) },
    bulkhead: { ...global.bulkhead, ...definedOnly(overrides.bulkhead) },
  };
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class EngineEntryConfig {
  @IsString() @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/) id = '';
  @IsString() @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/) type = '';
  @IsBoolean() enabled = true;
  /** Lower runs first in fallback chains. */
  @IsInt() priority = 0;
  /** Adapter-specific settings; keys are passed to the adapter as written. */
  @IsObject() options: Record<string, unknown> = {};
  /** This engine's own resilience knobs (timeout, retry, breaker, bulkhead) over the global ones. */
  @IsOptional() @ValidateNested() @Type(() => ResilienceOverrides) resilience?: ResilienceOverrides;
  /**
   * TTS and chat: engine ids (of the same kind) that serve, in this order, when this engine
   * cannot (breaker open, busy, unavailable or failing; a chat engine also when it did not
   * understand). Followed transitively; see config/engine-fallback.ts.
   */
  @IsOptional() @IsArray() @IsString({ each: true }) fallback?: string[];
}

export class EnginesConfig {
  @IsArray() @ValidateNested({ each: true }) @Type(() => EngineEntryConfig) tts: EngineEntryConfig[] = [];
  @IsArray() @ValidateNested({ each: true }) @Type(() => EngineEntryConfig) stt: EngineEntryConfig[] = [];
  @IsArray() @ValidateNested({ each: true }) @Type(() => EngineEntryConfig) chat: EngineEntryConfig[] = [];
}

export class PlanConfig {
  @IsInt() @IsPositive() requestsPerMinute = 10;
  /** Requests allowed in any one-second window. */
  @IsInt() @IsPositive() burstPerSecond = 5;
  @IsNumber() @Min(0) quotaSeconds = 600;
  @IsInt() @IsPositive() maxConcurrentRequests = 2;
  /** Feature gates; a gated feature answers 403 PLAN_FEATURE_DISABLED. */
  @IsBoolean() streamingAllowed = true;
  @IsBoolean() voiceCloningAllowed = false;
  /** POST /conversation and /v1/chat/completions (chat engines). */
  @IsBoolean() conversationAllowed = true;
  /** Engine ids the plan may use; empty = every engine. */
  @IsArray() @IsString({ each: true }) enginesAllowed: string[] = [];
  /** Longest text a request may send; 0 = the router's limit. */
  @IsInt() @Min(0) maxTextLength = 0;
  /** Bytes of files (uploads and outputs) a user may keep; 0 = unlimited. Over it: 413 STORAGE_QUOTA_EXCEEDED. */
  @IsInt() @Min(0) storageQuotaBytes = 100 * 1024 * 1024;
}

export class RateLimitsConfig {
  @IsBoolean() enabled = true;
  @IsIn(['memory', 'redis']) store: 'memory' | 'redis' = 'memory';
  @IsOptional() @IsString() @Matches(/^rediss?:\/\//) redisUrl?: string;
  /** Prefix of the limiter's Redis keys, so deployments can share one Redis. */
  @IsString() @Matches(/^[A-Za-z0-9:._-]{0,64}$/) redisKeyPrefix = 'speech-gateway:rl:';
  @IsString() defaultPlan = 'free';
  /** Requests per minute per client address that fail authentication (401) before 429. */
  @IsInt() @IsPositive() unauthenticatedRequestsPerMinute = 60;
  /** Characters of text per second of audio, to reserve quota before a TTS engine runs. */
  @IsNumber() @IsPositive() ttsEstimateCharsPerSecond = 12;
  /** Plan name → limits. Plan names are kept exactly as written. */
  @IsObject() plans: Record<string, PlanConfig> = {
    free: Object.assign(new PlanConfig(), {
      requestsPerMinute: 10,
      quotaSeconds: 600,
      streamingAllowed: false,
      maxTextLength: 1000,
    }),
    pro: Object.assign(new PlanConfig(), {
      requestsPerMinute: 60,
      burstPerSecond: 10,
      quotaSeconds: 36000,
      maxConcurrentRequests: 5,
      storageQuotaBytes: 1024 * 1024 * 1024,
    }),
    enterprise: Object.assign(new PlanConfig(), {
      requestsPerMinute: 600,
      burstPerSecond: 50,
      quotaSeconds: 360000,
      maxConcurrentRequests: 20,
      voiceCloningAllowed: true,
      storageQuotaBytes: 10 * 1024 * 1024 * 1024,
    }),
  };
}

export class DatabasePoolConfig {
  @IsInt() @Min(1) @Max(200) max = 10;
  @IsInt() @Min(0) idleTimeoutMs = 30000;
  @IsInt() @Min(0) connectionTimeoutMs = 5000;
}

export class EmbeddedDatabaseConfig {
  /** PGlite data folder, relative to the working directory. */
  @IsString() dataDir = 'data/pglite';
}

export class DatabaseConfig {
  /** postgres:// URL. Absent → the embedded database. */
  @IsOptional() @IsString() @Matches(/^postgres(ql)?:\/\//) url?: string;
  @IsString() @Matches(/^[a-z_][a-z0-9_]{0,62}$/) schema = 'public';
  @IsBoolean() runMigrationsOnStart = true;
  @ValidateNested() @Type(() => DatabasePoolConfig) pool = new DatabasePoolConfig();
  @ValidateNested() @Type(() => EmbeddedDatabaseConfig) embedded = new EmbeddedDatabaseConfig();
}

export class PathsConfig {
  @IsString() referenceAudio = 'reference_audio';
  @IsString() voices = 'voices';
  @IsString() outputs = 'outputs';
  /** Temporary files (uploads while they are received and decoded); empty = the system's temp folder. */
  @IsString() temp = '';
}

export class PusherConfig {
  /** The Pusher Channels app (dashboard → App Keys). */
  @IsString() @Matches(/^[0-9A-Za-z_-]{1,64}$/) appId = '';
  /** The public key; clients subscribe with it. */
  @IsString() @Matches(/^[0-9A-Za-z_-]{1,128}$/) key = '';
  /** Signs triggers and channel authorizations; redacted in GET /config and logs. */
  @IsString() @Matches(/^\S{1,256}$/) secret = '';
  /** Cluster (e.g. eu, mt1) → api-<cluster>.pusher.com; ignored when host is set. */
  @IsOptional() @IsString() @Matches(/^[a-z0-9-]{1,32}$/) cluster?: string;
  /** A Pusher-compatible server (e.g. soketi) instead of pusher.com. */
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9.-]{1,253}$/) host?: string;
  @IsOptional() @IsInt() @Min(1) @Max(65535) port?: number;
  @IsBoolean() useTls = true;
  /** Each user's channel is `<prefix><user id>`; must start with `private-`. */
  @IsString() @Matches(/^private-[A-Za-z0-9_\-=@,.;]{0,100}$/) channelPrefix = 'private-user-';
  /** Milliseconds a trigger may take before it is given up (logged). */
  @IsInt() @Min(100) @Max(60000) timeoutMs = 5000;
}

export class RealtimeConfig {
  /** Absent: no realtime channel (POST /pusher/auth answers 404 FEATURE_DISABLED). */
  @IsOptional() @ValidateNested() @Type(() => PusherConfig) pusher?: PusherConfig;
}

export class AppConfig {
  @ValidateNested() @Type(() => ServerConfig) server = new ServerConfig();
  @ValidateNested() @Type(() => CorsConfig) cors = new CorsConfig();
  @ValidateNested() @Type(() => AuthConfig) auth = new AuthConfig();
  @ValidateNested() @Type(() => FeaturesConfig) features = new FeaturesConfig();
  @ValidateNested() @Type(() => RoutersConfig) routers = new RoutersConfig();
  @ValidateNested() @Type(() => MiddlewareConfig) middleware = new MiddlewareConfig();
  @ValidateNested() @Type(() => MetricsConfig) metrics = new MetricsConfig();
  @ValidateNested() @Type(() => GenerationConfig) gen = new GenerationConfig();
  @ValidateNested() @Type(() => EnginesConfig) engines = new EnginesConfig();
  @ValidateNested() @Type(() => ResilienceConfig) resilience = new ResilienceConfig();
  @ValidateNested() @Type(() => RateLimitsConfig) rateLimits = new RateLimitsConfig();
  @ValidateNested() @Type(() => DatabaseConfig) database = new DatabaseConfig();
  @ValidateNested() @Type(() => PathsConfig) paths = new PathsConfig();
  @ValidateNested() @Type(() => OpenAiCompatConfig) openai = new OpenAiCompatConfig();
  @ValidateNested() @Type(() => RealtimeConfig) realtime = new RealtimeConfig();
}

/** Routers an operator can switch off; the key is the path under `routers:`. */
export type RouterName =
  | 'core.tts'
  | 'core.stt'
  | 'core.conversation'
  | 'core.jobs'
  | 'management.config'
  | 'management.files'
  | 'management.ui';
