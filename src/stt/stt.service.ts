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
import type { SttEngine, SttParam, TranscribeOptions, Transcript } from '../engines/ports/stt-engine.js';
import { SttEngineRegistry } from '../engines/stt-engine-registry.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { parseTranscribeOptions, type TranscribeDto } from './dto/transcribe.dto.js';
import {
  type GrammarLimitName,
  type GrammarProblem,
  grammarProblem,
  vocabularyProblem,
} from './grammar-limits.js';
import { receiveUpload, refusedBeforeBody } from './upload-receiver.js';

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
    const settings = this.config.current.routers.core.stt;
    this.checkGrammarLimits(options);
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
    const routeLimit = {
      maxAudioSeconds: settings.maxAudioSeconds,
      limitKey: 'routers.core.stt.max_audio_seconds',
    };
    // A background job has its own limit (routers.core.jobs.max_audio_seconds), longer than the route's.
    const effective =
      limit && (limit.replacesRouteLimit || limit.maxAudioSeconds < routeLimit.maxAudioSeconds)
        ? limit
        : routeLimit;
    return this.transcribeFile(audio.path, audioType, options, signal, effective);
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
    const chain = this.engineChain(options.model);
    const decoded = new Map<number, DecodedAudio>();
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
        const rate = engine.capabilities().sampleRate;
        let audio = decoded.get(rate);
        if (!audio) {
          audio = await this.decode(path, audioType, rate, signal, limit);
          decoded.set(rate, audio);
        }
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
        return { options, transcript, engine: id, audioType, ignoredParams: ignoredParams(engine, options) };
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
    try {
      return await this.transcoder.decode(path, type, { sampleRate, maxSeconds }, signal);
    } catch (error) {
      if (error instanceof AudioTooLongError) {
        throw new AppError(
          'AUDIO_TOO_LONG',
          `The audio is longer than the limit of ${maxSeconds} s (${limit.limitKey}).`,
          {
            max_audio_seconds: maxSeconds,
          },
        );
      }
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
