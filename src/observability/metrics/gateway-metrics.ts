import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  EngineCallObserver,
  EngineGuardProbe,
  EngineRejection,
} from '../../engines/resilience/engine-call-observer.js';
import type { BreakerState } from '../../engines/resilience/engine-resilience-stats.js';
import { ERROR_CODE_LOCAL, routePatternOf } from '../response-facts.js';

/** Connection counts of a database pool (node-postgres), read at scrape time. */
export interface JobCounts {
  queued: number;
  running: number;
}

export interface DatabasePoolProbe {
  total: number;
  idle: number;
  waiting: number;
}

/** Error codes counted as refusals by quota or rate limits (a closed set: bounded labels). */
const REFUSAL_CODES = new Set([
  'QUOTA_EXCEEDED',
  'CONCURRENCY_LIMITED',
  'RATE_LIMITED',
  'PLAN_FEATURE_DISABLED',
]);
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Status codes are bounded already; anything else a server could send is folded here. */
const UNMATCHED_ROUTE = 'unmatched';
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** What the 'close' listener needs, kept on the response: one shared listener, no closure per request. */
const HTTP_OBSERVATION = Symbol('speech-gateway:http-observation');
type TimedResponse = Response & {
  [HTTP_OBSERVATION]?: { metrics: GatewayMetrics; req: Request; started: bigint };
};

function observeHttpRequest(this: TimedResponse): void {
  const observation = this[HTTP_OBSERVATION];
  if (observation) observation.metrics.observeHttp(observation.req, this, observation.started);
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const RTF_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 5, 10];

/**
 * The gateway's Prometheus metrics, in a registry of its own (never prom-client's global
 * one, so several gateways in one process do not mix). Every label is drawn from a closed
 * or operator-configured set — route templates, methods, status codes, engine ids, error
 * codes — never a raw URL, a user or free text, so the series count stays bounded.
 * Per-request work is a histogram observation; everything else is read at scrape time.
 */
export class GatewayMetrics implements EngineCallObserver {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly refusals: Counter<'code'>;
  private readonly engineCalls: Counter<'engine'>;
  private readonly engineFailures: Counter<'engine'>;
  private readonly engineRejections: Counter<'engine' | 'reason'>;
  private readonly engineDuration: Histogram<'engine' | 'outcome'>;
  private readonly engineRtf: Histogram<'engine'>;
  private readonly engineTtfa: Histogram<'engine'>;
  private readonly cacheLookups: Counter<'result'>;
  private readonly guards = new Map<string, EngineGuardProbe>();
  private cacheSize?: () => { bytes: number; entries: number };
  private databasePool?: () => DatabasePoolProbe | undefined;
  private jobCounts?: () => Promise<JobCounts>;
  private readonly jobQueueWait: Histogram;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'speech_gateway_http_request_duration_seconds',
      help: 'HTTP requests by route template, method and status, in seconds',
      labelNames: ['method', 'route', 'status'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.refusals = new Counter({
      name: 'speech_gateway_request_refusals_total',
      help: 'Requests refused by quota, concurrency, plan or rate limits, by error code',
      labelNames: ['code'],
      registers,
    });
    this.engineCalls = new Counter({
      name: 'speech_gateway_engine_calls_total',
      help: 'Engine calls (synthesis, transcription, chat), rejected ones included',
      labelNames: ['engine'],
      registers,
    });
    this.engineFailures = new Counter({
      name: 'speech_gateway_engine_failures_total',
      help: 'Engine calls that failed after retries (not rejections or client aborts)',
      labelNames: ['engine'],
      registers,
    });
    this.engineRejections = new Counter({
      name: 'speech_gateway_engine_rejections_total',
      help: 'Engine calls refused before running: circuit_open or bulkhead_full',
      labelNames: ['engine', 'reason'],
      registers,
    });
    this.engineDuration = new Histogram({
      name: 'speech_gateway_engine_call_duration_seconds',
      help: 'Engine call latency (all attempts), by outcome',
      labelNames: ['engine', 'outcome'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.engineRtf = new Histogram({
      name: 'speech_gateway_engine_real_time_factor',
      help: 'Processing time divided by the seconds of audio produced (TTS) or consumed (STT)',
      labelNames: ['engine'],
      buckets: RTF_BUCKETS,
      registers,
    });
    this.engineTtfa = new Histogram({
      name: 'speech_gateway_engine_time_to_first_audio_seconds',
      help: "From a request's start to the first audio an engine returned for it",
      labelNames: ['engine'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    const guards = this.guards;
    new Gauge({
      name: 'speech_gateway_engine_breaker_state',
      help: 'Circuit breaker state per engine: 0 closed, 1 half-open, 2 open',
      labelNames: ['engine'],
      registers,
      collect() {
        this.reset();
        for (const [engine, probe] of guards) this.set({ engine }, BREAKER_VALUE[probe.breakerState()]);
      },
    });
    new Gauge({
      name: 'speech_gateway_engine_bulkhead_active',
      help: 'Engine calls running in the bulkhead',
      labelNames: ['engine'],
      registers,
      collect() {
        this.reset();
        for (const [engine, probe] of guards) this.set({ engine }, probe.bulkhead().active);
      },
    });
    new Gauge({
      name: 'speech_gateway_engine_bulkhead_queued',
      help: "Engine calls waiting in the bulkhead's queue",
      labelNames: ['engine'],
      registers,
      collect() {
        this.reset();
        for (const [engine, probe] of guards) this.set({ engine }, probe.bulkhead().queued);
      },
    });
    this.cacheLookups = new Counter({
      name: 'speech_gateway_tts_cache_lookups_total',
      help: 'TTS cache lookups by result (hit, miss)',
      labelNames: ['result'],
      registers,
    });
    const cacheSize = () => this.cacheSize?.();
    new Gauge({
      name: 'speech_gateway_tts_cache_size_bytes',
      help: 'Bytes held by the TTS cache',
      registers,
      collect() {
        this.set(cacheSize()?.bytes ?? 0);
      },
    });
    new Gauge({
      name: 'speech_gateway_tts_cache_entries',
      help: 'Results held by the TTS cache',
      registers,
      collect() {
        this.set(cacheSize()?.entries ?? 0);
      },
    });
    const pool = () => this.databasePool?.();
    new Gauge({
      name: 'speech_gateway_db_pool_connections',
      help: 'Database pool connections by state (in_use, idle)',
      labelNames: ['state'],
      registers,
      collect() {
        const probe = pool();
        this.reset();
        if (!probe) return;
        this.set({ state: 'in_use' }, probe.total - probe.idle);
        this.set({ state: 'idle' }, probe.idle);
      },
    });
    new Gauge({
      name: 'speech_gateway_db_pool_waiting',
      help: 'Queries waiting for a free database pool connection',
      registers,
      collect() {
        const probe = pool();
        this.set(probe?.waiting ?? 0);
      },
    });
    const jobCounts = () => this.jobCounts?.();
    new Gauge({
      name: 'speech_gateway_jobs',
      help: 'Background jobs by status (queued, running), counted in the shared jobs table',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await jobCounts()?.catch(() => undefined);
        this.reset();
        if (!counts) return;
        this.set({ status: 'queued' }, counts.queued);
        this.set({ status: 'running' }, counts.running);
      },
    });
    this.jobQueueWait = new Histogram({
      name: 'speech_gateway_job_queue_wait_seconds',
      help: 'Time from a job being submitted to its first start on this server',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
    // Seed the hit/miss series at zero so dashboards show a rate before the first lookup.
    this.cacheLookups.inc({ result: 'hit' }, 0);
    this.cacheLookups.inc({ result: 'miss' }, 0);
  }

  /** Express middleware: observes each request's duration once it has been answered. */
  readonly httpMiddleware = (req: Request, res: Response, next: NextFunction): void => {
    (res as TimedResponse)[HTTP_OBSERVATION] = { metrics: this, req, started: process.hrtime.bigint() };
    res.once('close', observeHttpRequest);
    next();
  };

  /** Records one answered request; called once per request by httpMiddleware's 'close' listener. */
  observeHttp(req: Request, res: Response, started: bigint): void {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const status = res.writableFinished ? res.statusCode : 499;
    this.httpDuration.observe(
      {
        method: KNOWN_METHODS.has(req.method) ? req.method : 'OTHER',
        route: routePatternOf(req) ?? UNMATCHED_ROUTE,
        status: String(status),
      },
      seconds,
    );
    const code: unknown = (res.locals as Record<string, unknown>)[ERROR_CODE_LOCAL];
    if (typeof code === 'string' && REFUSAL_CODES.has(code)) this.refusals.inc({ code });
  }

  /** The TTS cache's size, read at scrape time. */
  trackCacheSize(source: () => { bytes: number; entries: number }): void {
    this.cacheSize = source;
  }

  /** The database pool's counts, read at scrape time. */
  trackDatabasePool(source: () => DatabasePoolProbe | undefined): void {
    this.databasePool = source;
  }

  /** Queued and running jobs (all servers), read at scrape time. */
  trackJobs(source: () => Promise<JobCounts>): void {
    this.jobCounts = source;
  }

  /** A job started for the first time, `seconds` after it was submitted. */
  jobStarted(seconds: number): void {
    this.jobQueueWait.observe(Math.max(0, seconds));
  }

  cacheLookup(hit: boolean): void {
    this.cacheLookups.inc({ result: hit ? 'hit' : 'miss' });
  }

  guardBuilt(engineId: string, probe: EngineGuardProbe): void {
    this.guards.set(engineId, probe);
  }

  callStarted(engineId: string): void {
    this.engineCalls.inc({ engine: engineId });
  }

  callSucceeded(
    engineId: string,
    seconds: number,
    audio?: { audioSeconds: number; timeToFirstAudioSeconds?: number },
  ): void {
    this.engineDuration.observe({ engine: engineId, outcome: 'success' }, seconds);
    if (audio && audio.audioSeconds > 0)
      this.engineRtf.observe({ engine: engineId }, seconds / audio.audioSeconds);
    if (audio?.timeToFirstAudioSeconds !== undefined) {
      this.engineTtfa.observe({ engine: engineId }, audio.timeToFirstAudioSeconds);
    }
  }

  callFailed(engineId: string, seconds: number): void {
    this.engineFailures.inc({ engine: engineId });
    this.engineDuration.observe({ engine: engineId, outcome: 'failure' }, seconds);
  }

  callRejected(engineId: string, reason: EngineRejection): void {
    this.engineRejections.inc({ engine: engineId, reason });
  }

  /** The exposition in Prometheus' text format. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
