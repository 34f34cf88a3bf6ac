import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pcmBytes } from '../../../audio/pcm.js';
import { ConcurrencyLimiter } from '../../../common/concurrency-limiter.js';
import { abortedError, EngineError } from '../../ports/engine-error.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import type {
  SttAudio,
  SttCapabilities,
  SttEngine,
  TranscribeOptions,
  Transcript,
} from '../../ports/stt-engine.js';
import { CachedHealth } from '../cached-health.js';
import { PocketsphinxCliDecoder } from './pocketsphinx-cli.decoder.js';
import type { PocketsphinxDecoder } from './pocketsphinx-decoder.js';
import type { PocketsphinxOptions } from './pocketsphinx-options.js';
import { resultOf } from './pocketsphinx-output.js';
import { PocketsphinxWarmDecoder } from './pocketsphinx-warm.decoder.js';
import { vocabularyGrammar } from './vocabulary-grammar.js';

/** The only rate the Debian en-us model (and pocketsphinx_continuous on raw input) decodes. */
export const POCKETSPHINX_SAMPLE_RATE = 16_000;

/**
 * CMU pocketsphinx from Debian's packages. Audio arrives as 16 kHz mono PCM and is handed
 * to the decoder in a private temporary file (Node's stdio pipes are sockets, which the
 * program cannot open as /dev/stdin). Two decoders give identical results (see
 * PocketsphinxDecoder): `warm` keeps the model loaded and forks a decoder per request,
 * skipping the ~0.5 s start-up of `process`, which runs pocketsphinx_continuous per
 * request; `auto` (the default) uses warm when its server starts, else process.
 *
 * A request's `grammar` (JSGF) or `vocabulary` replaces the language model with a grammar
 * for that request: command-style recognition, far more accurate than the open-vocabulary
 * model. Words outside the dictionary are the client's error (invalid_input, naming the
 * word). Decodes run at most `max_concurrent` at a time; aborting kills the decoder.
 */
export class PocketsphinxSttEngine implements SttEngine {
  readonly type = 'pocketsphinx';
  private readonly limiter: ConcurrencyLimiter;
  private readonly cli: PocketsphinxCliDecoder;
  private readonly warm: PocketsphinxWarmDecoder;
  private chosen?: Promise<PocketsphinxDecoder>;
  private readonly cachedHealth = new CachedHealth(() =>
    this.decoder()
      .then((decoder) => decoder.probe())
      // Never a rejection: the constructor's warm-up does not await it.
      .catch((error: unknown) => ({
        available: false,
        reason: error instanceof Error ? error.message : String(error),
      })),
  );
  private disposed = false;

  constructor(
    readonly id: string,
    private readonly options: PocketsphinxOptions,
    private readonly logger: Logger,
  ) {
    this.limiter = new ConcurrencyLimiter(options.maxConcurrent);
    this.cli = new PocketsphinxCliDecoder(id, options, logger);
    this.warm = new PocketsphinxWarmDecoder(id, options, logger);
    void this.health(); // warm-up: the warm server loads the model before the first request
  }

  capabilities(): SttCapabilities {
    return {
      sampleRate: POCKETSPHINX_SAMPLE_RATE,
      languages: [this.options.language],
      wordTimestamps: true,
      supportedParams: ['grammar', 'vocabulary'],
    };
  }

  /** Which decoder serves: 'warm' or 'process' (starts the warm server when it may be used). */
  async decoderMode(): Promise<'warm' | 'process'> {
    return (await this.decoder()).mode;
  }

  health(): Promise<EngineHealth> {
    return this.cachedHealth.get();
  }

  dispose(): Promise<void> {
    this.disposed = true;
    this.cli.dispose();
    this.warm.dispose();
    return Promise.resolve();
  }

  async transcribe(audio: SttAudio, options: TranscribeOptions, signal: AbortSignal): Promise<Transcript> {
    if (signal.aborted) throw abortedError(this.id);
    if (this.disposed) throw new EngineError('unavailable', 'the engine was shut down', this.id);
    if (audio.samples.length === 0) throw new EngineError('invalid_input', 'the audio is empty', this.id);
    if (audio.sampleRate !== POCKETSPHINX_SAMPLE_RATE) {
      const message = `audio must be ${POCKETSPHINX_SAMPLE_RATE} Hz (got ${audio.sampleRate} Hz)`;
      throw new EngineError('invalid_input', message, this.id);
    }
    const language = options.language?.toLowerCase().split('-')[0];
    if (language && language !== this.options.language) {
      throw new EngineError(
        'invalid_input',
        `this engine recognises '${this.options.language}' only`,
        this.id,
      );
    }
    const health = await this.health();
    if (!health.available) throw new EngineError('unavailable', health.reason ?? 'unavailable', this.id);

    const grammar =
      options.grammar ?? (options.vocabulary?.length ? vocabularyGrammar(options.vocabulary) : undefined);
    let release: (() => void) | undefined;
    let folder: string | undefined;
    try {
      release = await this.limiter.acquire(signal);
      folder = await mkdtemp(join(tmpdir(), 'speech-gateway-pocketsphinx-'));
      const input = join(folder, 'audio.raw');
      await writeFile(input, pcmBytes(audio.samples));
      let jsgf: string | undefined;
      if (grammar !== undefined) {
        jsgf = join(folder, 'request.gram');
        await writeFile(jsgf, grammar);
      }
      const decoder = await this.decoder();
      const utterances = await decoder.decode({ input, folder, ...(jsgf ? { jsgf } : {}) }, signal);
      // A decode that worked proves the decoder and model are there: no probe while they keep working.
      this.cachedHealth.observe({ available: true });
      const { segments, words } = resultOf(utterances);
      return {
        text: segments.map((segment) => segment.text).join(' '),
        language: this.options.language,
        durationSeconds: audio.samples.length / audio.sampleRate,
        segments,
        words,
      };
    } catch (error) {
      if (signal.aborted) throw abortedError(this.id);
      throw error;
    } finally {
      release?.();
      if (folder) await rm(folder, { recursive: true, force: true });
    }
  }

  /** The decoder `options.decoder` asks for; `auto` tries warm once and keeps what works. */
  private decoder(): Promise<PocketsphinxDecoder> {
    this.chosen ??= (async (): Promise<PocketsphinxDecoder> => {
      if (this.options.decoder === 'process') return this.cli;
      if (this.options.decoder === 'warm') return this.warm;
      const warm = await this.warm.probe();
      if (warm.available) return this.warm;
      this.logger.info(
        { engine: this.id, reason: warm.reason },
        'pocketsphinx: warm decoder unavailable, using one process per request',
      );
      this.warm.dispose();
      return this.cli;
    })();
    return this.chosen;
  }
}
