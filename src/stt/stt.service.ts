import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { Logger } from 'pino';
import { MeteringService } from '../accounts/metering.service.js';
import { AudioFormatError, AudioTooLongError } from '../audio/audio-error.js';
import { sniffAudioFile, type SniffedAudioType } from '../audio/audio-sniffer.js';
import { AudioTranscoder, type DecodedAudio } from '../audio/audio-transcoder.js';
import { AppError } from '../common/app-error.js';
import { BOOT_OPTIONS, ROOT_LOGGER } from '../common/injection-tokens.js';
import { RequestContextStore } from '../common/request-context.js';
import { ConfigService } from '../config/config.service.js';
import { appErrorForEngine } from '../engines/engine-app-error.js';
import { type EngineAttemptFailure, engineChainExhausted } from '../engines/engine-chain-failure.js';
import { EngineError, isEngineFault } from '../engines/ports/engine-error.js';
import type {
  SttEngine,
  SttParam,
  TimedText,
  TranscribeOptions,
  Transcript,
} from '../engines/ports/stt-engine.js';
import { SttEngineRegistry } from '../engines/stt-engine-registry.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { parseTranscribeOptions, type TranscribeDto } from './dto/transcribe.dto.js';
import {
  type GrammarLimitName,
  type GrammarProblem,
  grammarProblem,
  vocabularyProblem,
} from './grammar-limits.js';
import { segmentPcmStream } from '../audio/quiet-point-segmenter.js';
import { receiveUpload, refusedBeforeBody } from './upload-receiver.js';

/** Segments are decoded at this rate when no engine of the chain is available (each attempt then fails). */
const DEFAULT_DECODE_RATE = 16_000;

export interface SttOutcome {
  options: TranscribeDto;
  transcript: Transcript;
  /** The engine that produced the transcript (after any fallback). */
  engine: string;
  /** What the upload was, by its magic bytes. */
  audioType: SniffedAudioType;
  /** Options the client sent that the serving engine does not honour. */
  ignoredParams: string[];
}

const FORMAT_NAMES: Record<SniffedAudioType, string> = {
  wav: 'WAV',
  mp3: 'MP3',
  m4a: 'M4A/MP4',
  flac: 'FLAC',
  ogg: 'Ogg',
  webm: 'WebM',
  aac: 'AAC (ADTS)',
};

/** The config.yaml names of the grammar limits. */
const LIMIT_KEYS: Record<GrammarLimitName, string> = {
  maxRules: 'max_rules',
  maxExpansion: 'max_expansion',
  maxDepth: 'max_depth',
};

/** Fields of TranscribeDto that map to an engine's supportedParams. */
const ENGINE_PARAMS: readonly SttParam[] = ['prompt', 'temperature', 'grammar', 'vocabulary'];

/**
 * Speech to text, end to end: the upload is streamed to a temporary file (size limit
 * enforced while streaming), its type decided by magic bytes, decoded and resampled to the
 * engine's rate (duration limit enforced while decoding), then transcribed by the first
 * engine that can (an explicit `model` naming an engine id, else every configured STT
 * engine by priority: when one is unavailable, busy, open-circuited or fails, the next is
 * tried). The temporary file is deleted whatever happens.
 */
@Injectable()
export class SttService {
  constructor(
    private readonly config: ConfigService,
    private readonly engines: SttEngineRegistry,
    private readonly transcoder: AudioTranscoder,
    @Inject(BOOT_OPTIONS) private readonly runtime: GatewayRuntimeInfo,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    private readonly metering: MeteringService,
  ) {}

  /** OpenAI model names (openai.models: whisper-1, …) pick the default engine chain, not an engine. */
  isGenericModel(model: string): boolean {
    return this.config.current.openai.models.includes(model);
  }

  async transcribeRequest(req: Request, signal: AbortSignal): Promise<SttOutcome> {
    const settings = this.config.current.routers.core.stt;
    if (/^application\/(json|x-www-form-urlencoded)\b/i.test(req.headers['content-type'] ?? '')) {
      throw refusedBeforeBody(
        req,
        new AppError(
          'VALIDATION_FAILED',
          'Send the audio as multipart/form-data (a "file" part) or as the raw request body, not as JSON or a URL-encoded form.',
        ),
      );
    }
    const upload = await receiveUpload(
      req,
      {
        maxBytes: Math.floor(settings.maxFileSizeMb * 1024 * 1024),
        tempDir: this.runtime.tempDir,
        fileField: 'file',
        // A WAV's header tells its length: one too long is refused before the rest is read.
        ...(settings.supportedFormats.includes('wav')
          ? {
              wavLimit: {
                maxSeconds: settings.maxAudioSeconds,
                refusal: () => audioTooLong(this.effectiveLimit()),
              },
            }
          : {}),
      },
      signal,
    );
    try {
      // Form fields (multipart) win over the query string; a raw body has only the query.
      const options = parseTranscribeOptions({ ...queryOf(req), ...upload.fields });
      return await this.transcribeStoredAudio(upload, options, signal);
    } finally {
      await upload.discard();
    }
  }

  /**
   * Transcribes audio already on disk (an upload, a decoded base64 part): checks the
   * grammar limits, decides the type by magic bytes against routers.core.stt.supported_formats,
   * then runs the engine chain, metered. `maxAudioSeconds` tightens the STT route's limit
   * (a conversation turn has its own); `limitKey` names that knob in the 413 message.
   * The caller keeps and deletes the file.
   */
  async transcribeStoredAudio(
    audio: { path: string; bytes: number },
    options: TranscribeDto,
    signal: AbortSignal,
    limit?: { maxAudioSeconds: number; limitKey: string; replacesRouteLimit?: boolean },
  ): Promise<SttOutcome> {
    this.checkGrammarLimits(options);
    const audioType = await this.acceptedType(audio);
    return this.transcribeFile(audio.path, audioType, options, signal, this.effectiveLimit(limit));
  }

  /**
   * Like transcribeStoredAudio, for long recordings (background jobs): the audio is
   * decoded as a stream and cut at quiet points into segments of at most
   * `segmentSeconds`, transcribed in order through the same engine chain (fallback,
   * resilience, metering per segment), their timings shifted by each segment's start and
   * joined into one transcript. `onProgress` hears the seconds transcribed so far after
   * each segment. At most one segment of PCM is held besides the one being transcribed;
   * the length is counted first (a decode that keeps nothing) so the limit is enforced
   * before any engine runs and progress has a denominator. Audio no longer than one
   * segment takes transcribeStoredAudio's single call.
   */
  async transcribeStoredAudioInSegments(
    audio: { path: string; bytes: number },
    options: TranscribeDto,
    signal: AbortSignal,
    segmenting: {
      segmentSeconds: number;
      onProgress: (doneSeconds: number, totalSeconds: number) => void;
    },
    limit?: { maxAudioSeconds: number; limitKey: string; replacesRouteLimit?: boolean },
  ): Promise<SttOutcome> {
    this.checkGrammarLimits(options);
    const audioType = await this.acceptedType(audio);
    const effective = this.effectiveLimit(limit);
    const chain = this.engineChain(options.model);
    const sampleRate = this.decodeRate(chain);
    const decodeOptions = { sampleRate, maxSeconds: effective.maxAudioSeconds };
    const totalSeconds = await this.decoding(signal, effective, () =>
      this.transcoder.measure(audio.path, audioType, decodeOptions, signal),
    );
    if (totalSeconds <= segmenting.segmentSeconds) {
      return this.transcribeFile(audio.path, audioType, options, signal, effective);
    }
    const pcm = this.transcoder.decodeStream(audio.path, audioType, decodeOptions, signal);
    const parts: Array<{ transcript: Transcript; offset: number }> = [];
    const engines = new Set<string>();
    let ignored: string[] = [];
    const segments = segmentPcmStream(pcm, { sampleRate, maxSeconds: segmenting.segmentSeconds });
    await this.decoding(signal, effective, async () => {
      for await (const segment of segments) {
        if (signal.aborted) throw new AppError('REQUEST_CANCELLED', 'The job was cancelled.');
        const clip: DecodedAudio = {
          samples: segment.samples,
          sampleRate,
          durationSeconds: segment.samples.length / sampleRate,
        };
        const served = await this.runChain(chain, options, signal, (rate) =>
          rate === sampleRate ? Promise.resolve(clip) : this.resampled(clip, rate, signal),
        );
        parts.push({ transcript: served.transcript, offset: segment.startSample / sampleRate });
        engines.add(served.engine);
        ignored = served.ignoredParams;
        segmenting.onProgress(
          Math.min(totalSeconds, (segment.startSample + segment.samples.length) / sampleRate),
          totalSeconds,
        );
      }
    });
    const context = RequestContextStore.current();
    if (context) context.audioSeconds = Math.round(totalSeconds * 1000) / 1000;
    return {
      options,
      transcript: joinTranscripts(parts, totalSeconds),
      engine: [...engines].join('+'),
      audioType,
      ignoredParams: ignored,
    };
  }

  /** The upload's type by its magic bytes, when routers.core.stt.supported_formats accepts it. */
  private async acceptedType(audio: { path: string; bytes: number }): Promise<SniffedAudioType> {
    const settings = this.config.current.routers.core.stt;
    if (audio.bytes === 0) throw new AppError('INVALID_AUDIO', 'The audio file is empty.');
    const audioType = await sniffAudioFile(audio.path);
    if (!audioType || !settings.supportedFormats.includes(audioType)) {
      const accepted = settings.supportedFormats.join(', ');
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        audioType
          ? `${FORMAT_NAMES[audioType]} audio is not accepted here (routers.core.stt.supported_formats: ${accepted}).`
          : `The file is not audio in an accepted format (${accepted}); the type is read from its content, not its name.`,
        { detected: audioType, supported_formats: settings.supportedFormats },
      );
    }
    return audioType;
  }

  private effectiveLimit(limit?: {
    maxAudioSeconds: number;
    limitKey: string;
    replacesRouteLimit?: boolean;
  }): {
    maxAudioSeconds: number;
    limitKey: string;
  } {
    const routeLimit = {
      maxAudioSeconds: this.config.current.routers.core.stt.maxAudioSeconds,
      limitKey: 'routers.core.stt.max_audio_seconds',
    };
    // A background job has its own limit (routers.core.jobs.max_audio_seconds), longer than the route's.
    return limit && (limit.replacesRouteLimit || limit.maxAudioSeconds < routeLimit.maxAudioSeconds)
      ? limit
      : routeLimit;
  }

  /** The rate segments are decoded at: the first available engine's (a fallback resamples). */
  private decodeRate(chain: string[]): number {
    for (const id of chain) {
      const lease = this.engines.lease(id);
      if ('unavailable' in lease) continue;
      try {
        return lease.engine.capabilities().sampleRate;
      } finally {
        lease.release();
      }
    }
    return DEFAULT_DECODE_RATE;
  }

  private async resampled(clip: DecodedAudio, rate: number, signal: AbortSignal): Promise<DecodedAudio> {
    const resampled = await this.transcoder.resample(clip, rate, signal);
    return { samples: resampled.samples, sampleRate: rate, durationSeconds: clip.durationSeconds };
  }

  /** A grammar or vocabulary too costly to decode is refused before any decoder sees it. */
  private checkGrammarLimits(options: TranscribeDto): void {
    const limits = this.config.current.routers.core.stt.grammar;
    const refuse = (field: 'grammar' | 'vocabulary', problem: GrammarProblem): never => {
      const knob = problem.limit ? `routers.core.stt.grammar.${LIMIT_KEYS[problem.limit]}` : undefined;
      const message = knob ? `${problem.message} (limit: ${knob})` : problem.message;
      throw new AppError('VALIDATION_FAILED', message, {
        fields: [{ field, errors: [message] }],
        ...(problem.limit && knob ? { limit: { name: knob, value: limits[problem.limit] } } : {}),
      });
    };
    if (options.grammar !== undefined) {
      const problem = grammarProblem(options.grammar, limits);
      if (problem) refuse('grammar', problem);
    }
    if (options.vocabulary !== undefined) {
      const problem = vocabularyProblem(options.vocabulary, limits);
      if (problem) refuse('vocabulary', problem);
    }
  }

  private async transcribeFile(
    path: string,
    audioType: SniffedAudioType,
    options: TranscribeDto,
    signal: AbortSignal,
    limit: { maxAudioSeconds: number; limitKey: string },
  ): Promise<SttOutcome> {
    const decoded = new Map<number, DecodedAudio>();
    const served = await this.runChain(this.engineChain(options.model), options, signal, async (rate) => {
      let audio = decoded.get(rate);
      if (!audio) {
        audio = await this.decode(path, audioType, rate, signal, limit);
        decoded.set(rate, audio);
      }
      return audio;
    });
    return { options, ...served, audioType };
  }

  /**
   * The first engine of `chain` that can transcribes the audio `audioFor` gives at its
   * rate, metered; engine faults move on to the next engine, other errors are thrown.
   */
  private async runChain(
    chain: string[],
    options: TranscribeDto,
    signal: AbortSignal,
    audioFor: (sampleRate: number) => Promise<DecodedAudio>,
  ): Promise<{ transcript: Transcript; engine: string; ignoredParams: string[] }> {
    const failures: EngineAttemptFailure[] = [];
    const unsupportedLanguage: string[] = [];
    for (const id of chain) {
      const lease = this.engines.lease(id);
      if ('unavailable' in lease) {
        failures.push({ engine: id, error: lease.unavailable });
        continue;
      }
      try {
        const engine = lease.engine;
        if (!speaks(engine, options.language)) {
          unsupportedLanguage.push(id);
          continue;
        }
        const audio = await audioFor(engine.capabilities().sampleRate);
        const context = RequestContextStore.current();
        if (context) context.engine = id;
        // Charged by the audio's length, reserved before the engine runs; a failed attempt charges nothing.
        const seconds = audio.durationSeconds;
        const decodedAudio = audio;
        const transcript = await this.metering.run(
          { estimateSeconds: seconds, engine: id, model: options.model, uses: { engine: id } },
          async () => ({
            value: await engine.transcribe(decodedAudio, engineOptions(options), signal),
            seconds,
          }),
        );
        // Analytics record the audio seconds of served requests only.
        if (context) context.audioSeconds = Math.round(seconds * 1000) / 1000;
        return { transcript, engine: id, ignoredParams: ignoredParams(engine, options) };
      } catch (error) {
        if (!(error instanceof EngineError)) throw error; // quota, plan gates, rate limits: the client's
        if (!isEngineFault(error)) {
          throw appErrorForEngine(error, { task: 'transcribe the audio', invalidInput: invalidInputError });
        }
        this.logger.warn(
          { engine: id, kind: error.kind, err: error.message },
          'STT engine failed; trying the next one',
        );
        failures.push({ engine: id, error });
      } finally {
        lease.release();
      }
    }
    if (failures.length === 0 && unsupportedLanguage.length > 0) {
      throw new AppError(
        'LANGUAGE_NOT_SUPPORTED',
        `No speech-to-text engine here recognises language '${options.language}' (tried: ${unsupportedLanguage.join(', ')}).`,
        { language: options.language },
      );
    }
    throw engineChainExhausted(failures, { label: 'speech-to-text', task: 'transcribe the audio' });
  }

  private async decode(
    path: string,
    type: SniffedAudioType,
    sampleRate: number,
    signal: AbortSignal,
    limit: { maxAudioSeconds: number; limitKey: string },
  ): Promise<DecodedAudio> {
    const maxSeconds = limit.maxAudioSeconds;
    return this.decoding(signal, limit, () =>
      this.transcoder.decode(path, type, { sampleRate, maxSeconds }, signal),
    );
  }

  /** Runs `work` (which decodes the audio), turning the decoder's refusals into the API's errors. */
  private async decoding<T>(
    signal: AbortSignal,
    limit: { maxAudioSeconds: number; limitKey: string },
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AudioTooLongError) throw audioTooLong(limit);
      if (error instanceof AudioFormatError) throw new AppError('INVALID_AUDIO', error.message);
      if (signal.aborted) throw new AppError('REQUEST_CANCELLED', 'The client cancelled the request.');
      throw error;
    }
  }

  /** The engines to try, in order: the one `model` names, or all of them by priority. */
  private engineChain(model: string | undefined): string[] {
    const ids = this.engines.ids();
    if (model === undefined || this.isGenericModel(model)) {
      if (ids.length === 0) {
        throw new AppError(
          'ENGINE_UNAVAILABLE',
          'No speech-to-text engine is configured (engines.stt).',
          undefined,
          {
            'Retry-After': '30',
          },
        );
      }
      return ids;
    }
    if (!ids.includes(model)) {
      throw new AppError('VALIDATION_FAILED', `Unknown model '${model}'.`, {
        fields: [{ field: 'model', errors: [`model must be one of: ${[...ids, 'whisper-1'].join(', ')}`] }],
      });
    }
    return [model];
  }
}

function queryOf(req: Request): Record<string, unknown> {
  return typeof req.query === 'object' && req.query !== null
    ? { ...(req.query as Record<string, unknown>) }
    : {};
}

function engineOptions(options: TranscribeDto): TranscribeOptions {
  return {
    ...(options.language !== undefined ? { language: options.language } : {}),
    ...(options.prompt !== undefined ? { prompt: options.prompt } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.grammar !== undefined ? { grammar: options.grammar } : {}),
    ...(options.vocabulary !== undefined ? { vocabulary: options.vocabulary } : {}),
  };
}

function ignoredParams(engine: SttEngine, options: TranscribeDto): string[] {
  const supported = engine.capabilities().supportedParams;
  return ENGINE_PARAMS.filter((param) => options[param] !== undefined && !supported.includes(param));
}

function invalidInputError(error: EngineError): AppError {
  return new AppError('VALIDATION_FAILED', `The engine refused the request: ${error.message}.`);
}

/** An engine listing no languages takes any (remote multilingual engines); `en-US` matches `en`. */
function speaks(engine: SttEngine, language: string | undefined): boolean {
  const languages = engine.capabilities().languages;
  if (!language || languages.length === 0) return true;
  const base = language.toLowerCase().split('-')[0];
  return languages.some((known) => known.toLowerCase().split('-')[0] === base);
}

/**
 * One transcript from the transcripts of consecutive segments: texts joined by single
 * spaces, segments and words shifted by the start of the segment they came from.
 */
export function joinTranscripts(
  parts: ReadonlyArray<{ transcript: Transcript; offset: number }>,
  durationSeconds: number,
): Transcript {
  const shift = (items: readonly TimedText[], offset: number): TimedText[] =>
    items.map((item) => ({
      ...item,
      start: Math.round((item.start + offset) * 1000) / 1000,
      end: Math.round((item.end + offset) * 1000) / 1000,
    }));
  const withWords = parts.some((part) => part.transcript.words !== undefined);
  const language = parts.find((part) => part.transcript.language)?.transcript.language;
  return {
    text: parts
      .map((part) => part.transcript.text.trim())
      .filter((text) => text.length > 0)
      .join(' '),
    ...(language ? { language } : {}),
    durationSeconds,
    segments: parts.flatMap((part) => shift(part.transcript.segments, part.offset)),
    ...(withWords ? { words: parts.flatMap((part) => shift(part.transcript.words ?? [], part.offset)) } : {}),
  };
}

/** 413 AUDIO_TOO_LONG, naming the limit's knob. */
function audioTooLong(limit: { maxAudioSeconds: number; limitKey: string }): AppError {
  return new AppError(
    'AUDIO_TOO_LONG',
    `The audio is longer than the limit of ${limit.maxAudioSeconds} s (${limit.limitKey}).`,
    { max_audio_seconds: limit.maxAudioSeconds },
  );
}
