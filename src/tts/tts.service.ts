import { Injectable } from '@nestjs/common';
import { type MeteredCall, type MeteredCallSpec, MeteringService } from '../accounts/metering.service.js';
import { AppError } from '../common/app-error.js';
import { RequestContextStore } from '../common/request-context.js';
import type { GenerationConfig } from '../config/config.schema.js';
import { ConfigService } from '../config/config.service.js';
import { AudioTranscoder } from '../audio/audio-transcoder.js';
import {
  type OutputFormat,
  STREAMABLE_FORMATS,
  contentTypeOf,
  outputSampleRate,
} from '../audio/audio-format.js';
import { joinClips, prepareStreamChunk } from '../audio/clip-joiner.js';
import type { EngineLease } from '../engines/engine-registry.js';
import { TtsEngineRegistry } from '../engines/tts-engine-registry.js';
import { type AudioClip, clipDurationSeconds, type WordTiming } from '../engines/ports/audio-clip.js';
import { EngineError } from '../engines/ports/engine-error.js';
import { CircuitOpenError, EngineBusyError } from '../engines/resilience/resilience-errors.js';
import type { SynthesisRequest, TtsEngine, TtsParam } from '../engines/ports/tts-engine.js';
import { mapInOrder } from './ordered-pool.js';
import { splitIntoChunks } from './text-chunker.js';
import { sanitizeText } from './text-sanitizer.js';
import { TtsCacheService } from './tts-cache.service.js';
import type { VoiceEntity } from './voice.entity.js';
import { VoicesService } from './voices.service.js';

/** A synthesis request in the gateway's terms (both /tts and /v1/audio/speech build one). */
export interface TtsRequest {
  text: string;
  voice?: string;
  /** An engine id the caller wants; it must be the voice's engine. */
  model?: string;
  speed?: number;
  pitch?: number;
  emotion?: string;
  temperature?: number;
  exaggeration?: number;
  cfgWeight?: number;
  ssml?: boolean;
  format: OutputFormat;
  sampleRate?: number;
  timestamps?: boolean;
}

export interface TtsResultMeta {
  voice: string;
  engine: string;
  contentType: string;
  format: OutputFormat;
  sampleRate: number;
  textLength: number;
  /** Request parameters the engine does not support (sent back in X-Ignored-Params). */
  ignoredParams: string[];
}

export interface TtsResult extends TtsResultMeta {
  audio: Buffer;
  durationSeconds: number;
  words?: WordTiming[];
  cache: 'hit' | 'miss';
  /** Quota seconds left after this request; undefined when the request is not metered. */
  quotaRemainingSeconds?: number;
}

export interface TtsStream extends TtsResultMeta {
  body: AsyncIterable<Buffer>;
}

function cancelled(): AppError {
  return new AppError('REQUEST_CANCELLED', 'The client cancelled the request.');
}

/** Request fields, how the client named them, and the engine parameter each needs. */
const PARAMS: Array<{ field: keyof TtsRequest; name: string; param: TtsParam }> = [
  { field: 'speed', name: 'speed', param: 'speed' },
  { field: 'pitch', name: 'pitch', param: 'pitch' },
  { field: 'emotion', name: 'emotion', param: 'emotion' },
  { field: 'temperature', name: 'temperature', param: 'temperature' },
  { field: 'exaggeration', name: 'exaggeration', param: 'exaggeration' },
  { field: 'cfgWeight', name: 'cfg_weight', param: 'cfg_weight' },
  { field: 'ssml', name: 'ssml', param: 'ssml' },
];

/** The request's generation knobs with the `gen:` defaults filled in. */
function generationParams(request: TtsRequest, gen: GenerationConfig) {
  return {
    speed: request.speed ?? gen.defaultSpeedFactor,
    pitch: request.pitch,
    emotion: request.emotion,
    temperature: request.temperature ?? gen.defaultTemperature,
    exaggeration: request.exaggeration ?? gen.defaultExaggeration,
    cfgWeight: request.cfgWeight ?? gen.defaultCfgWeight,
  };
}

interface Resolved {
  text: string;
  voice: VoiceEntity;
  cacheKey: string;
}

interface Plan {
  voice: VoiceEntity;
  lease: EngineLease<TtsEngine>;
  text: string;
  chunks: string[];
  base: Omit<SynthesisRequest, 'text'>;
  meta: TtsResultMeta;
  cacheKey: string;
}

/**
 * Text in, audio out: resolves the voice to an engine, splits long text at sentence and
 * clause boundaries, synthesises chunks with bounded concurrency, joins them seamlessly
 * and hands the PCM to the audio module for encoding. Identical requests come from the
 * cache without touching the engine.
 */
@Injectable()
export class TtsService {
  constructor(
    private readonly config: ConfigService,
    private readonly engines: TtsEngineRegistry,
    private readonly voices: VoicesService,
    private readonly cache: TtsCacheService,
    private readonly transcoder: AudioTranscoder,
    private readonly metering: MeteringService,
  ) {}

  async synthesize(request: TtsRequest, signal: AbortSignal): Promise<TtsResult> {
    const resolved = await this.resolve(request);
    // The cache is consulted before the engine is touched: a cached answer needs no engine at all.
    const cached = await this.cache.get(resolved.cacheKey);
    if (cached) {
      // Cached audio is charged like fresh audio (the client receives the same seconds), and
      // its length is known, so exactly that is reserved.
      const seconds = cached.meta.durationSeconds;
      const quotaRemainingSeconds = await this.metering.charge(this.meterSpec(request, resolved, seconds));
      this.noteUsage(seconds);
      return {
        ...cached.meta.result,
        audio: cached.audio,
        durationSeconds: seconds,
        words: cached.meta.words,
        cache: 'hit',
        quotaRemainingSeconds,
      };
    }
    const call = await this.metering.begin(this.meterSpec(request, resolved));
    const plan = await this.planOrFail(request, resolved, call);
    try {
      const clips: AudioClip[] = [];
      for await (const clip of this.synthesizeChunks(plan, signal)) clips.push(clip);
      const joined = joinClips(clips);
      const audio = await this.transcoder.encode(
        joined,
        plan.meta.format,
        { sampleRate: request.sampleRate },
        signal,
      );
      const durationSeconds = clipDurationSeconds(joined);
      const words = request.timestamps ? joined.words : undefined;
      await this.cache.put(plan.cacheKey, audio, { result: plan.meta, durationSeconds, words });
      const quotaRemainingSeconds = await call.commit(durationSeconds);
      this.noteUsage(durationSeconds);
      return { ...plan.meta, audio, durationSeconds, words, cache: 'miss', quotaRemainingSeconds };
    } catch (error) {
      await call.fail(error);
      throw error;
    } finally {
      plan.lease.release();
    }
  }

  /** What metering records and the plan must allow; the estimate is from the text unless known. */
  private meterSpec(request: TtsRequest, resolved: Resolved, knownSeconds?: number): MeteredCallSpec {
    const settings = this.config.current;
    const speed = request.speed ?? settings.gen.defaultSpeedFactor;
    return {
      estimateSeconds:
        knownSeconds ?? resolved.text.length / settings.rateLimits.ttsEstimateCharsPerSecond / speed,
      uses: { engine: resolved.voice.engine, textLength: resolved.text.length },
      voice: resolved.voice.friendlyName,
      engine: resolved.voice.engine,
      model: request.model,
      textLength: resolved.text.length,
    };
  }

  private async planOrFail(request: TtsRequest, resolved: Resolved, call: MeteredCall): Promise<Plan> {
    try {
      return this.plan(request, resolved);
    } catch (error) {
      await call.fail(error);
      throw error;
    }
  }

  /**
   * Audio as chunks finish: the first bytes leave while later chunks are still being
   * synthesised. The engine is held until the stream ends or the client goes away.
   */
  async synthesizeStream(request: TtsRequest, signal: AbortSignal): Promise<TtsStream> {
    if (!STREAMABLE_FORMATS.includes(request.format)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Streaming supports ${STREAMABLE_FORMATS.join(', ')}; '${request.format}' needs the whole audio first.`,
        { fields: [{ field: 'response_format', errors: [`not streamable: ${request.format}`] }] },
      );
    }
    const resolved = await this.resolve(request);
    const spec = this.meterSpec(request, resolved);
    const call = await this.metering.begin({ ...spec, uses: { ...spec.uses, streaming: true } });
    const plan = await this.planOrFail(request, resolved, call);
    const produced = { seconds: 0 };
    const clips = this.streamChunks(plan, signal, produced);
    const encoded = this.transcoder.encodeStream(
      clips,
      plan.meta.format,
      { sampleRate: request.sampleRate },
      signal,
    );
    const release = () => plan.lease.release();
    async function* body(): AsyncGenerator<Buffer> {
      let outcome: 'done' | 'failed' | 'open' = 'open';
      try {
        yield* encoded;
        outcome = 'done';
        await call.commit(produced.seconds);
      } catch (error) {
        outcome = 'failed';
        await call.fail(signal.aborted ? cancelled() : error);
        throw error;
      } finally {
        // The consumer stopped early (the client left): a cancelled stream charges nothing.
        if (outcome === 'open') await call.fail(cancelled());
        release();
      }
    }
    return { ...plan.meta, body: body() };
  }

  private async *streamChunks(
    plan: Plan,
    signal: AbortSignal,
    produced: { seconds: number },
  ): AsyncGenerator<AudioClip> {
    let index = 0;
    for await (const clip of this.synthesizeChunks(plan, signal)) {
      const prepared = prepareStreamChunk(clip, { first: index === 0 });
      produced.seconds += clipDurationSeconds(prepared);
      index++;
      yield prepared;
    }
    this.noteUsage(produced.seconds);
  }

  private async *synthesizeChunks(plan: Plan, signal: AbortSignal): AsyncGenerator<AudioClip> {
    const concurrency = this.config.current.routers.core.tts.maxConcurrentChunks;
    const engine = plan.lease.engine;
    try {
      yield* mapInOrder(
        plan.chunks,
        concurrency,
        (text) => engine.synthesize({ ...plan.base, text }, signal),
        signal,
      );
    } catch (error) {
      throw this.mapEngineError(error, plan.voice.friendlyName);
    }
    if (signal.aborted) throw new AppError('REQUEST_CANCELLED', 'The client cancelled the request.');
  }

  /** What the request asks for, checked, without touching an engine. */
  private async resolve(request: TtsRequest): Promise<Resolved> {
    const settings = this.config.current;
    const voice = await this.voices.resolve(request.voice ?? settings.gen.defaultVoice);
    const context = RequestContextStore.current();
    if (context) {
      context.engine = voice.engine;
      context.voice = voice.friendlyName;
    }
    const text = sanitizeText(request.text, settings.routers.core.tts.maxTextLength);
    if (
      request.model !== undefined &&
      request.model !== voice.engine &&
      this.engines.ids().includes(request.model)
    ) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Voice '${voice.friendlyName}' belongs to engine '${voice.engine}', not '${request.model}'.`,
        {
          fields: [{ field: 'model', errors: [`voice ${voice.friendlyName} is served by ${voice.engine}`] }],
        },
      );
    }
    const gen = settings.gen;
    const cacheKey = TtsCacheService.keyOf({
      engine: voice.engine,
      voice: voice.engineVoiceId,
      text,
      ...generationParams(request, gen),
      ssml: request.ssml === true,
      timestamps: request.timestamps === true,
      model: request.model,
      chunkSize: gen.chunkSize,
      format: request.format,
      sampleRate: request.sampleRate,
    });
    return { text, voice, cacheKey };
  }

  /** Borrows the voice's engine and decides chunks and parameters. */
  private plan(request: TtsRequest, resolved: Resolved): Plan {
    const { text, voice, cacheKey } = resolved;
    const gen = this.config.current.gen;
    const lease = this.engines.lease(voice.engine);
    if ('unavailable' in lease) {
      throw new AppError(
        'ENGINE_UNAVAILABLE',
        `Engine '${voice.engine}' cannot serve: ${lease.unavailable}.`,
        { engine: voice.engine, reason: lease.unavailable },
        { 'Retry-After': '30' },
      );
    }
    const capabilities = lease.engine.capabilities();
    const supported = new Set<TtsParam>(capabilities.supportedParams);
    const ignoredParams: string[] = [];
    if (request.model !== undefined && request.model !== voice.engine) ignoredParams.push('model');
    for (const { field, name, param } of PARAMS) {
      if (request[field] !== undefined && !supported.has(param)) ignoredParams.push(name);
    }
    if (request.timestamps && !capabilities.wordTimestamps) ignoredParams.push('timestamps');
    const base: Omit<SynthesisRequest, 'text'> = {
      voiceId: voice.engineVoiceId,
      ...generationParams(request, gen),
      ssml: request.ssml === true && supported.has('ssml'),
      wordTimestamps: request.timestamps === true,
    };
    // SSML cannot be cut safely at sentence boundaries: it is sent whole.
    const chunks = base.ssml ? [text] : splitIntoChunks(text, gen.chunkSize);
    return {
      voice,
      lease,
      text,
      chunks,
      base,
      cacheKey,
      meta: {
        voice: voice.friendlyName,
        engine: voice.engine,
        contentType: contentTypeOf(request.format),
        format: request.format,
        sampleRate: outputSampleRate(request.format, capabilities.sampleRate, request.sampleRate),
        textLength: text.length,
        ignoredParams,
      },
    };
  }

  /** Seconds of audio produced, for analytics. */
  private noteUsage(seconds: number): void {
    const context = RequestContextStore.current();
    if (context) context.audioSeconds = Math.round(seconds * 1000) / 1000;
  }

  private mapEngineError(error: unknown, voice: string): unknown {
    if (!(error instanceof EngineError)) return error;
    if (error instanceof EngineBusyError) {
      return new AppError(
        'ENGINE_BUSY',
        `Engine '${error.engineId}' is at its concurrency limit (resilience.bulkhead); try again shortly.`,
        { engine: error.engineId },
        { 'Retry-After': String(error.retryAfterSeconds) },
      );
    }
    if (error instanceof CircuitOpenError) {
      return new AppError(
        'ENGINE_UNAVAILABLE',
        `Engine '${error.engineId}' failed repeatedly; its circuit breaker is open.`,
        { engine: error.engineId, reason: 'circuit breaker open' },
        { 'Retry-After': String(Math.max(1, Math.ceil(error.retryAfterSeconds))) },
      );
    }
    switch (error.kind) {
      case 'voice_not_found':
        return new AppError('VOICE_NOT_FOUND', `The engine no longer has voice '${voice}'.`, { voice });
      case 'invalid_input':
        return new AppError('VALIDATION_FAILED', `The engine refused the text: ${error.message}`);
      case 'unavailable':
        return new AppError('ENGINE_UNAVAILABLE', `Engine '${error.engineId}' is unavailable.`, undefined, {
          'Retry-After': '30',
        });
      case 'aborted':
        return new AppError('REQUEST_CANCELLED', 'The client cancelled the request.');
      case 'transient':
      case 'failed':
        return new AppError('ENGINE_FAILED', `Engine '${error.engineId}' failed to synthesise the text.`);
    }
  }
}
