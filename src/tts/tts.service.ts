import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { type MeteredCall, type MeteredCallSpec, MeteringService } from '../accounts/metering.service.js';
import { AppError } from '../common/app-error.js';
import { BOOT_OPTIONS, ROOT_LOGGER } from '../common/injection-tokens.js';
import { RequestContextStore } from '../common/request-context.js';
import type { GenerationConfig } from '../config/config.schema.js';
import { ConfigService } from '../config/config.service.js';
import { ttsEngineChain } from '../config/engine-fallback.js';
import { AudioTranscoder, type PreparedStream } from '../audio/audio-transcoder.js';
import {
  type OutputFormat,
  STREAMABLE_FORMATS,
  contentTypeOf,
  outputSampleRate,
} from '../audio/audio-format.js';
import { ClipJoiner, joinClips } from '../audio/clip-joiner.js';
import type { EngineLease } from '../engines/engine-registry.js';
import { TtsEngineRegistry } from '../engines/tts-engine-registry.js';
import { type AudioClip, clipDurationSeconds, type WordTiming } from '../engines/ports/audio-clip.js';
import { appErrorForEngine, type EngineErrorWording } from '../engines/engine-app-error.js';
import { type EngineAttemptFailure, engineChainExhausted } from '../engines/engine-chain-failure.js';
import { EngineError, isEngineFault } from '../engines/ports/engine-error.js';
import type { SynthesisRequest, TtsEngine, TtsParam } from '../engines/ports/tts-engine.js';
import { type AudioEstimate, estimateAudio } from './audio-bound.js';
import { mapInOrder } from './ordered-pool.js';
import { inspectSsml, SsmlRefused, ssmlLimitViolation } from './ssml-inspector.js';
import { splitIntoChunks } from './text-chunker.js';
import { sanitizeText } from './text-sanitizer.js';
import { TtsCacheService } from './tts-cache.service.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
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
  /** Set for background jobs: their own limits instead of the /tts route's, and progress. */
  job?: TtsJobOptions;
}

/** What a background job changes about a synthesis. */
export interface TtsJobOptions {
  maxTextLength: number;
  maxAudioSeconds: number;
  /** Called as chunks finish, in order: `done` of `total` chunks, and the seconds of audio so far. */
  onProgress?: (done: number, total: number, audioSeconds: number) => void;
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
  /** The voice's own engine, when it could not serve and `engine` stood in (X-Fallback-From). */
  fallbackFrom?: string;
}

export interface TtsResult extends TtsResultMeta {
  audio: Buffer;
  durationSeconds: number;
  words?: WordTiming[];
  cache: 'hit' | 'miss';
  /** Quota seconds left after this request; undefined when the request is not metered. */
  quotaRemainingSeconds?: number;
}

/** Audio in a temporary file (long text, see routers.core.tts.in_memory_audio_seconds). */
export interface TtsAudioFile {
  path: string;
  bytes: number;
  /** Removes the file; call once it has been sent or copied. Safe to call twice. */
  release(): Promise<void>;
}

/** A result whose audio is in a temporary file rather than in memory. */
export interface TtsFileResult extends Omit<TtsResult, 'audio'> {
  file: TtsAudioFile;
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
  /** The voice as the request named it. */
  voice: VoiceEntity;
  /** How long the audio may get, from the text alone. */
  estimate: AudioEstimate;
}

/**
 * The most audio one request may produce, and what set that amount (it decides the answer
 * when the audio outgrows it): the per-request ceiling, the quota that was left, or the
 * text's own upper bound. Unmetered requests have only the ceiling.
 */
interface AudioBudget {
  seconds: number;
  limitedBy: 'ceiling' | 'quota' | 'bound';
}

/** A clip's first `seconds`, faded out over its last 10 ms so the cut does not click. */
function clipPrefix(clip: AudioClip, seconds: number): AudioClip {
  const length = Math.min(clip.samples.length, Math.max(0, Math.floor(seconds * clip.sampleRate)));
  const samples = clip.samples.slice(0, length);
  const fade = Math.min(length, Math.round(clip.sampleRate / 100));
  for (let i = 0; i < fade; i++) {
    const at = length - fade + i;
    samples[at] = Math.round((samples[at] ?? 0) * ((fade - i) / fade));
  }
  return { samples, sampleRate: clip.sampleRate };
}

/** One engine of the voice's fallback chain, the voice it speaks in and the cache key of its answer. */
interface Candidate {
  engine: string;
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
  /** The engine's clips are finished audio: a one-chunk answer is encoded untouched. */
  finalAudio: boolean;
  /** The rate the engine's clips come at. */
  engineSampleRate: number;
}

/**
 * Text in, audio out: resolves the voice to an engine, splits long text at sentence and
 * clause boundaries, synthesises chunks with bounded concurrency, joins them seamlessly
 * and hands the PCM to the audio module for encoding. Identical requests come from the
 * cache without touching the engine. When the voice's engine cannot serve (breaker open,
 * busy, unavailable, failing) the engines of its `fallback:` chain are tried in order.
 */
@Injectable()
export class TtsService {
  constructor(
    private readonly config: ConfigService,
    private readonly engines: TtsEngineRegistry,
    private readonly voices: VoicesService,
    private readonly cache: TtsCacheService,
    private readonly transcoder: AudioTranscoder,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly metering: MeteringService,
    @Inject(BOOT_OPTIONS) private readonly runtime: GatewayRuntimeInfo,
  ) {}

  /**
   * Metering: the quota is reserved once, when the first engine is about to run, and
   * charged the seconds of the audio that is returned (whichever engine of the chain made
   * it); a cached answer is charged its exact length. What is reserved is the most the
   * text can become (see reserve()), and synthesis stops as soon as the audio outgrows it:
   * such a request is refused whole (429 QUOTA_EXCEEDED when the quota set the amount,
   * 413 AUDIO_TOO_LONG otherwise), so a client gets all the audio or an error, never a
   * silently shortened file. Every failure releases the reservation: nothing is charged
   * for failed attempts or a failed request.
   */
  async synthesize(request: TtsRequest, signal: AbortSignal): Promise<TtsResult> {
    const result = await this.synthesizeAnswer(request, signal, false);
    if (!('file' in result)) return result;
    try {
      const { file, ...rest } = result;
      return { ...rest, audio: await readFile(file.path) };
    } finally {
      await result.file.release();
    }
  }

  /**
   * synthesize(), except that long text (more audio expected than
   * routers.core.tts.in_memory_audio_seconds) is answered as a temporary file, joined and
   * encoded chunk by chunk: memory holds only the chunks in flight. The caller sends the
   * file and then releases it.
   */
  synthesizeForDelivery(request: TtsRequest, signal: AbortSignal): Promise<TtsResult | TtsFileResult> {
    return this.synthesizeAnswer(request, signal, true);
  }

  private async synthesizeAnswer(
    request: TtsRequest,
    signal: AbortSignal,
    fileWhenLong: boolean,
  ): Promise<TtsResult | TtsFileResult> {
    const resolved = await this.resolve(request);
    const failures: EngineAttemptFailure[] = [];
    let call: MeteredCall | undefined;
    let budget: AudioBudget | undefined;
    try {
      for await (const candidate of this.candidates(request, resolved, failures)) {
        // The cache is consulted before the engine is touched: a cached answer needs no engine at all.
        const cached = await this.cache.get(candidate.cacheKey);
        if (cached) {
          const seconds = cached.meta.durationSeconds;
          // An answer cached before the limits were lowered (or beyond what was reserved) is not served.
          const limit = budget ?? this.ceilingBudget(request);
          if (seconds > limit.seconds) throw this.overBudget(limit, seconds);
          const quotaRemainingSeconds = call
            ? await call.commit(seconds)
            : await this.metering.charge(this.meterSpec(request, resolved, candidate, seconds));
          this.noteServedBy(candidate);
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
        const plan = this.plan(request, resolved, candidate);
        if ('unavailable' in plan) {
          failures.push({ engine: candidate.engine, error: plan.unavailable });
          continue;
        }
        try {
          if (!call || !budget) ({ call, budget } = await this.reserve(request, resolved, candidate));
          const toFile =
            fileWhenLong &&
            !(plan.finalAudio && plan.chunks.length === 1) &&
            resolved.estimate.ordinarySeconds > this.config.current.routers.core.tts.inMemoryAudioSeconds;
          const result = toFile
            ? await this.synthesizeToFile(plan, request, signal, budget)
            : await this.synthesizeWith(plan, request, signal, budget);
          const quotaRemainingSeconds = await call.commit(result.durationSeconds);
          this.noteServedBy(candidate);
          return { ...result, quotaRemainingSeconds };
        } catch (error) {
          failures.push(this.fallbackFailure(error, candidate, resolved));
        } finally {
          plan.lease.release();
        }
      }
      throw this.exhausted(failures, resolved);
    } catch (error) {
      await call?.fail(error);
      throw error;
    }
  }

  /** What metering records and the plan must allow, reserving `seconds`. */
  private meterSpec(
    request: TtsRequest,
    resolved: Resolved,
    candidate: Candidate,
    seconds: number,
    streaming = false,
  ): MeteredCallSpec {
    return {
      estimateSeconds: seconds,
      uses: {
        engine: candidate.engine,
        textLength: resolved.text.length,
        ...(streaming ? { streaming: true } : {}),
      },
      voice: candidate.voice.friendlyName,
      engine: candidate.engine,
      model: request.model,
      textLength: resolved.text.length,
    };
  }

  /**
   * Reserves the most the text can become (its upper bound, at most max_audio_seconds).
   * When that does not fit the quota but the text's ordinary length does, what is left is
   * reserved instead, and the audio may not outgrow it; when not even the ordinary length
   * fits, the request is refused up front (429 QUOTA_EXCEEDED with the ordinary figures).
   */
  private async reserve(
    request: TtsRequest,
    resolved: Resolved,
    candidate: Candidate,
    streaming = false,
  ): Promise<{ call: MeteredCall; budget: AudioBudget }> {
    const ceiling = request.job?.maxAudioSeconds ?? this.config.current.routers.core.tts.maxAudioSeconds;
    const wanted = Math.min(resolved.estimate.upperBoundSeconds, ceiling);
    const spec = this.meterSpec(request, resolved, candidate, wanted, streaming);
    const call = await this.metering.begin({
      ...spec,
      minimumSeconds: Math.min(resolved.estimate.ordinarySeconds, wanted),
    });
    // Reservations are rounded to the millisecond: within that, the reservation is what was wanted.
    const limitedBy =
      call.reservedSeconds >= ceiling ? 'ceiling' : call.reservedSeconds < wanted - 0.001 ? 'quota' : 'bound';
    return { call, budget: { seconds: Math.min(call.reservedSeconds, ceiling), limitedBy } };
  }

  /** The budget of a request nothing was reserved for yet: the per-request ceiling. */
  private ceilingBudget(request: TtsRequest): AudioBudget {
    const seconds = request.job?.maxAudioSeconds ?? this.config.current.routers.core.tts.maxAudioSeconds;
    return { seconds, limitedBy: 'ceiling' };
  }

  /** The answer to audio that outgrew its budget; nothing of it is charged. */
  private overBudget(budget: AudioBudget, producedSeconds: number): AppError {
    const limit = Math.round(budget.seconds * 1000) / 1000;
    const produced = Math.round(producedSeconds * 1000) / 1000;
    switch (budget.limitedBy) {
      case 'quota':
        return new AppError(
          'QUOTA_EXCEEDED',
          `The quota does not cover this request: ${limit} s were left and the audio passed ${produced} s before it was done. Nothing was charged.`,
          { remaining_seconds: limit, needed_seconds: produced },
        );
      case 'ceiling':
        return new AppError(
          'AUDIO_TOO_LONG',
          `The audio would be longer than ${limit} s, the most one request may produce (routers.core.tts.max_audio_seconds); send shorter text.`,
          { max_audio_seconds: limit },
        );
      case 'bound':
        return new AppError(
          'AUDIO_TOO_LONG',
          `The engine made more than ${limit} s of audio, the most this text was expected to take. Nothing was charged.`,
          { max_audio_seconds: limit },
        );
    }
  }

  /**
   * Audio as chunks finish: the first bytes leave while later chunks are still being
   * synthesised. The engine is held until the stream ends or the client goes away. Fallback
   * happens before the first byte only: the first chunk is synthesised before the answer
   * starts, and an engine failing after that ends the stream (its audio is already out).
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
    const failures: EngineAttemptFailure[] = [];
    let call: MeteredCall | undefined;
    let budget: AudioBudget | undefined;
    try {
      for await (const candidate of this.candidates(request, resolved, failures)) {
        const plan = this.plan(request, resolved, candidate, true);
        if ('unavailable' in plan) {
          failures.push({ engine: candidate.engine, error: plan.unavailable });
          continue;
        }
        const produced = { seconds: 0 };
        let clips: AsyncGenerator<AudioClip>;
        // The encoder (ffmpeg) starts while the first chunk is synthesised, not after it.
        const preparing = this.transcoder
          .prepareStream(plan.meta.format, plan.engineSampleRate, { sampleRate: request.sampleRate }, signal)
          .catch(() => undefined);
        try {
          if (!call || !budget) ({ call, budget } = await this.reserve(request, resolved, candidate, true));
          clips = await this.startStream(plan, signal, produced, budget, request.job?.onProgress);
        } catch (error) {
          void preparing.then((prepared) => prepared?.cancel());
          plan.lease.release();
          failures.push(this.fallbackFailure(error, candidate, resolved));
          continue;
        }
        this.noteServedBy(candidate);
        const encoder = await preparing;
        return {
          ...plan.meta,
          body: this.encodedStream(plan, request, clips, signal, call, produced, encoder),
        };
      }
      throw this.exhausted(failures, resolved);
    } catch (error) {
      await call?.fail(error);
      throw error;
    }
  }

  /**
   * The whole answer from one engine, encoded and cached under that engine's key; refused
   * (before it is encoded or cached) as soon as its audio outgrows the budget.
   */
  private async synthesizeWith(
    plan: Plan,
    request: TtsRequest,
    signal: AbortSignal,
    budget: AudioBudget,
  ): Promise<TtsResult> {
    const clips: AudioClip[] = [];
    let produced = 0;
    for await (const clip of this.synthesizeChunks(plan, signal, budget, request.job?.onProgress)) {
      produced += clipDurationSeconds(clip);
      // Leaving the loop cancels the chunks still running.
      if (produced > budget.seconds) throw this.overBudget(budget, produced);
      clips.push(clip);
    }
    // Final audio (another gateway's finished answer) made in one call is passed through untouched.
    const joined = plan.finalAudio && clips.length === 1 && clips[0] ? clips[0] : joinClips(clips);
    // Joining adds short pauses between chunks: the answer itself must fit too.
    if (clipDurationSeconds(joined) > budget.seconds) {
      throw this.overBudget(budget, clipDurationSeconds(joined));
    }
    const audio = await this.transcoder.encode(
      joined,
      plan.meta.format,
      { sampleRate: request.sampleRate },
      signal,
    );
    const durationSeconds = clipDurationSeconds(joined);
    const words = request.timestamps ? joined.words : undefined;
    await this.cache.put(plan.cacheKey, audio, { result: plan.meta, durationSeconds, words });
    this.noteUsage(durationSeconds);
    return { ...plan.meta, audio, durationSeconds, words, cache: 'miss' };
  }

  /**
   * The whole answer from one engine like synthesizeWith, but joined and encoded chunk by
   * chunk into a temporary file (see AudioTranscoder.encodeToFile), then cached by copying
   * the file: the audio is never in memory whole. Refused as soon as it outgrows the
   * budget; a failure removes the file.
   */
  private async synthesizeToFile(
    plan: Plan,
    request: TtsRequest,
    signal: AbortSignal,
    budget: AudioBudget,
  ): Promise<TtsFileResult> {
    const directory = await mkdtemp(join(this.runtime.tempDir, 'tts-'));
    const path = join(directory, `audio.${plan.meta.format}`);
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await rm(directory, { recursive: true, force: true });
    };
    try {
      const joiner = new ClipJoiner();
      const joined = async function* (this: TtsService): AsyncGenerator<AudioClip> {
        let produced = 0;
        for await (const clip of this.synthesizeChunks(plan, signal, budget, request.job?.onProgress)) {
          // As synthesizeWith: the engine's own length counts (a clip stopped at maxSeconds
          // may be mostly silence the joiner trims, but the audio it stands for is longer).
          produced += clipDurationSeconds(clip);
          if (produced > budget.seconds) throw this.overBudget(budget, produced);
          const piece = joiner.push(clip);
          // The joined length (pauses included) is what must fit; leaving the loop cancels the rest.
          if (joiner.durationSeconds > budget.seconds) throw this.overBudget(budget, joiner.durationSeconds);
          if (piece.samples.length > 0) yield piece;
        }
        const tail = joiner.finish();
        if (joiner.durationSeconds > budget.seconds) throw this.overBudget(budget, joiner.durationSeconds);
        if (tail.samples.length > 0) yield tail;
      }.call(this);
      const bytes = await this.transcoder.encodeToFile(
        joined,
        plan.meta.format,
        plan.engineSampleRate,
        path,
        { sampleRate: request.sampleRate },
        signal,
      );
      const durationSeconds = joiner.durationSeconds;
      const words = request.timestamps ? joiner.words : undefined;
      await this.cache.putFile(plan.cacheKey, path, { result: plan.meta, durationSeconds, words });
      this.noteUsage(durationSeconds);
      return { ...plan.meta, file: { path, bytes, release }, durationSeconds, words, cache: 'miss' };
    } catch (error) {
      await release();
      // The encoder stops on the signal itself (with its reason): a cancelled request is
      // REQUEST_CANCELLED here too, as on the in-memory path.
      throw signal.aborted ? cancelled() : error;
    }
  }

  /**
   * The stream's clips once the first one exists (so an engine that cannot even start is
   * replaced by the next); engine errors after it leave as AppErrors.
   */
  private async startStream(
    plan: Plan,
    signal: AbortSignal,
    produced: { seconds: number },
    budget: AudioBudget,
    onProgress?: (done: number, total: number, audioSeconds: number) => void,
  ): Promise<AsyncGenerator<AudioClip>> {
    const clips = this.streamChunks(plan, signal, produced, budget, onProgress);
    const first = await clips.next();
    const toAppError = (error: unknown): unknown => this.appError(error, plan.voice.friendlyName);
    return (async function* started(): AsyncGenerator<AudioClip> {
      try {
        if (!first.done) yield first.value;
        yield* clips;
      } catch (error) {
        throw toAppError(error);
      }
    })();
  }

  /**
   * The encoded stream; the quota is charged what was streamed once it completes. A stream
   * that fails or that the client leaves is charged the audio it had sent (at most the chunk
   * being encoded more than the client read), never the rest of its reservation.
   */
  private encodedStream(
    plan: Plan,
    request: TtsRequest,
    clips: AsyncGenerator<AudioClip>,
    signal: AbortSignal,
    call: MeteredCall,
    produced: { seconds: number },
    encoder: PreparedStream | undefined,
  ): AsyncGenerator<Buffer> {
    const encoded = encoder
      ? encoder.encode(clips, signal)
      : this.transcoder.encodeStream(clips, plan.meta.format, { sampleRate: request.sampleRate }, signal);
    const release = () => plan.lease.release();
    // A body that never starts (the client left before the answer could be sent, and the
    // stream was destroyed unread) never runs its finally: settle it here when that happens.
    const progress = { state: 'new' as 'new' | 'running' | 'abandoned' };
    const abandonUnstarted = () => {
      if (progress.state !== 'new') return;
      progress.state = 'abandoned';
      encoder?.cancel();
      void clips.return(undefined).catch(() => undefined);
      void call.fail(cancelled()).finally(release);
    };
    if (signal.aborted) abandonUnstarted();
    else signal.addEventListener('abort', abandonUnstarted, { once: true });
    return (async function* body(): AsyncGenerator<Buffer> {
      if (progress.state === 'abandoned') return;
      progress.state = 'running';
      signal.removeEventListener('abort', abandonUnstarted);
      let outcome: 'done' | 'failed' | 'open' = 'open';
      // Audio handed to the client so far: the clips encoded before the last bytes left.
      let delivered = 0;
      try {
        for await (const bytes of encoded) {
          delivered = produced.seconds;
          yield bytes;
        }
        outcome = 'done';
        await call.commit(produced.seconds);
      } catch (error) {
        outcome = 'failed';
        await call.fail(signal.aborted ? cancelled() : error, delivered);
        throw error;
      } finally {
        // The consumer stopped early (the client left): it pays for the audio it was sent.
        if (outcome === 'open') await call.fail(cancelled(), delivered);
        release();
      }
    })();
  }

  /**
   * The stream's chunks, ready to encode, up to the budget: a chunk that would pass it is
   * cut there and the stream ends (the chunks still running are cancelled). Only a first
   * chunk already past max_audio_seconds (or the text's bound) is refused instead, since
   * nothing has been sent yet: 413 AUDIO_TOO_LONG.
   */
  private async *streamChunks(
    plan: Plan,
    signal: AbortSignal,
    produced: { seconds: number },
    budget: AudioBudget,
    onProgress?: (done: number, total: number, audioSeconds: number) => void,
  ): AsyncGenerator<AudioClip> {
    let index = 0;
    // The same joiner as whole answers: a stream's bytes are the whole answer's, piece by piece.
    const joiner = new ClipJoiner();
    for await (const clip of this.synthesizeChunks(plan, signal, budget, onProgress)) {
      const prepared = joiner.push(clip);
      const seconds = clipDurationSeconds(prepared);
      const room = budget.seconds - produced.seconds;
      // A clip longer than the budget may have been stopped there by its engine (maxSeconds):
      // its trimmed length says nothing about the audio that is missing.
      if (seconds > room || clipDurationSeconds(clip) > budget.seconds) {
        if (index === 0 && budget.limitedBy !== 'quota') throw this.overBudget(budget, seconds);
        const cut = clipPrefix(prepared, room);
        produced.seconds += clipDurationSeconds(cut);
        if (cut.samples.length > 0) yield cut;
        break;
      }
      produced.seconds += seconds;
      index++;
      yield prepared;
    }
    // Only a cross-fade (pause 0) holds samples back; they are within the budget already counted.
    const tail = joiner.finish();
    if (tail.samples.length > 0 && clipDurationSeconds(tail) <= budget.seconds - produced.seconds) {
      produced.seconds += clipDurationSeconds(tail);
      yield tail;
    }
    this.noteUsage(produced.seconds);
  }

  /**
   * The plan's chunks from its engine, in order; engine errors leave as they are
   * (EngineError). When one chunk fails (or the consumer stops early), the chunks still
   * running are cancelled: the next engine of the chain takes over the whole text, and the
   * failed engine's bulkhead slots are freed at once.
   */
  private async *synthesizeChunks(
    plan: Plan,
    signal: AbortSignal,
    budget: AudioBudget,
    onProgress?: (done: number, total: number, audioSeconds: number) => void,
  ): AsyncGenerator<AudioClip> {
    const concurrency = this.config.current.routers.core.tts.maxConcurrentChunks;
    const engine = plan.lease.engine;
    const stop = new AbortController();
    const chunkSignal = AbortSignal.any([signal, stop.signal]);
    try {
      let done = 0;
      let audioSeconds = 0;
      for await (const clip of mapInOrder(
        plan.chunks,
        concurrency,
        // No chunk needs to be longer than the whole budget: engines that can stop there.
        (text) => engine.synthesize({ ...plan.base, text, maxSeconds: budget.seconds }, chunkSignal),
        chunkSignal,
      )) {
        done++;
        audioSeconds += clipDurationSeconds(clip);
        onProgress?.(done, plan.chunks.length, audioSeconds);
        yield clip;
      }
    } finally {
      stop.abort();
    }
    if (signal.aborted) throw cancelled();
  }

  /**
   * For a background job, at submit: checks the request like a synthesis would (voice, text
   * length, SSML) and answers the seconds of audio it may produce (the upper bound a job
   * reserves) and its ordinary length.
   */
  async estimate(request: TtsRequest): Promise<{ upperBoundSeconds: number; ordinarySeconds: number }> {
    const { estimate } = await this.resolve(request);
    return { upperBoundSeconds: estimate.upperBoundSeconds, ordinarySeconds: estimate.ordinarySeconds };
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
    const text = sanitizeText(
      request.text,
      request.job?.maxTextLength ?? settings.routers.core.tts.maxTextLength,
    );
    const ssml = request.ssml === true ? this.inspectSsml(text) : undefined;
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
    const estimate = estimateAudio(text, {
      speed: request.speed ?? settings.gen.defaultSpeedFactor,
      charsPerSecond: settings.rateLimits.ttsEstimateCharsPerSecond,
      ssml,
    });
    return { text, voice, estimate };
  }

  /** The SSML's pauses and rates, refused (400 naming `text`) beyond routers.core.tts.ssml. */
  private inspectSsml(text: string) {
    const refuse = (reason: string) =>
      new AppError('VALIDATION_FAILED', `The SSML in text is refused: ${reason}`, {
        fields: [{ field: 'text', errors: [reason] }],
      });
    let inspection;
    try {
      inspection = inspectSsml(text);
    } catch (error) {
      if (error instanceof SsmlRefused) throw refuse(error.message);
      throw error;
    }
    const violation = ssmlLimitViolation(inspection, this.config.current.routers.core.tts.ssml);
    if (violation) throw refuse(violation);
    return inspection;
  }

  /**
   * The engines that may serve, in order: the voice's engine, then its `fallback:` chain,
   * then the route's (not when `model` names the engine: the client asked for that one), each with the
   * voice it would speak in. Stand-in voices are looked up only when they are reached; an
   * engine without one is recorded in `failures` and passed over.
   */
  private async *candidates(
    request: TtsRequest,
    resolved: Resolved,
    failures: EngineAttemptFailure[],
  ): AsyncGenerator<Candidate> {
    const { voice } = resolved;
    const chain = request.model === voice.engine ? [] : ttsEngineChain(this.config.current, voice.engine);
    for (const engine of chain.length > 0 ? chain : [voice.engine]) {
      const spoken = engine === voice.engine ? voice : await this.voices.standIn(voice, engine);
      if (!spoken) {
        failures.push({ engine, error: `it has no voice to stand in for '${voice.friendlyName}'` });
        continue;
      }
      yield { engine, voice: spoken, cacheKey: this.cacheKeyOf(request, resolved.text, engine, spoken) };
    }
  }

  /** Everything that decides the audio, including the engine and voice that make it. */
  private cacheKeyOf(request: TtsRequest, text: string, engine: string, voice: VoiceEntity): string {
    const gen = this.config.current.gen;
    return TtsCacheService.keyOf({
      engine,
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
  }

  /** Borrows the candidate's engine and decides chunks and parameters; or why it cannot serve. */
  private plan(
    request: TtsRequest,
    resolved: Resolved,
    candidate: Candidate,
    streaming = false,
  ): Plan | { unavailable: string } {
    const { text } = resolved;
    const { voice, cacheKey, engine } = candidate;
    const gen = this.config.current.gen;
    const lease = this.engines.lease(engine);
    if ('unavailable' in lease) return lease;
    const capabilities = lease.engine.capabilities();
    const supported = new Set<TtsParam>(capabilities.supportedParams);
    const ignoredParams: string[] = [];
    if (request.model !== undefined && request.model !== resolved.voice.engine) ignoredParams.push('model');
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
    // SSML cannot be cut safely at sentence boundaries: it is sent whole. A stream's first
    // chunk is smaller, so its first audio is ready sooner.
    const chunks = base.ssml
      ? [text]
      : splitIntoChunks(text, gen.chunkSize, streaming ? gen.streamFirstChunkSize : undefined);
    return {
      voice,
      lease,
      text,
      chunks,
      base,
      cacheKey,
      finalAudio: capabilities.finalAudio === true,
      engineSampleRate: capabilities.sampleRate,
      meta: {
        voice: voice.friendlyName,
        engine,
        contentType: contentTypeOf(request.format),
        format: request.format,
        sampleRate: outputSampleRate(request.format, capabilities.sampleRate, request.sampleRate),
        textLength: text.length,
        ignoredParams,
        ...(engine !== resolved.voice.engine ? { fallbackFrom: resolved.voice.engine } : {}),
      },
    };
  }

  /**
   * A failed engine of the chain, recorded so the next one may serve; rethrown (as the
   * client's error) when no other engine should be tried: the client's input, a cancelled
   * request, or a voice the voice's own engine no longer has. A stand-in engine missing its
   * stand-in voice is only that engine's failure.
   */
  private fallbackFailure(error: unknown, candidate: Candidate, resolved: Resolved): EngineAttemptFailure {
    if (!(error instanceof EngineError)) throw error;
    const standIn = candidate.engine !== resolved.voice.engine;
    if (!isEngineFault(error) && !(standIn && error.kind === 'voice_not_found')) {
      throw this.appError(error, resolved.voice.friendlyName);
    }
    this.logger.warn(
      { engine: candidate.engine, kind: error.kind, err: error.message },
      'TTS engine cannot serve; trying the next engine of the fallback chain',
    );
    return { engine: candidate.engine, error };
  }

  /** No engine of the chain served: the one engine's own error, or 503 with every reason. */
  private exhausted(failures: EngineAttemptFailure[], resolved: Resolved): AppError {
    return engineChainExhausted(failures, {
      ...ttsWording(resolved.voice.friendlyName),
      label: 'text-to-speech',
    });
  }

  private appError(error: unknown, voice: string): unknown {
    return error instanceof EngineError ? appErrorForEngine(error, ttsWording(voice)) : error;
  }

  /** Analytics name the engine and voice that made the audio. */
  private noteServedBy(candidate: Candidate): void {
    const context = RequestContextStore.current();
    if (context) {
      context.engine = candidate.engine;
      context.voice = candidate.voice.friendlyName;
    }
  }

  /** Seconds of audio produced, for analytics (and, later, quota accounting). */
  private noteUsage(seconds: number): void {
    const context = RequestContextStore.current();
    if (context) context.audioSeconds = Math.round(seconds * 1000) / 1000;
  }
}

/** How synthesis failures read: an unknown voice is 404 VOICE_NOT_FOUND, refused text 400. */
function ttsWording(voice: string): EngineErrorWording {
  return {
    task: 'synthesise the text',
    invalidInput: (error) =>
      error.kind === 'voice_not_found'
        ? new AppError('VOICE_NOT_FOUND', `The engine no longer has voice '${voice}'.`, { voice })
        : new AppError('VALIDATION_FAILED', `The engine refused the text: ${error.message}`),
  };
}
