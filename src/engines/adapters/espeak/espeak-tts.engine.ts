import type { AudioClip } from '../../ports/audio-clip.js';
import { abortedError, EngineError } from '../../ports/engine-error.js';
import type { EngineContext } from '../../ports/engine-factory.js';
import type { EngineHealth, EngineVoice } from '../../ports/engine-health.js';
import type { SynthesisRequest, TtsCapabilities, TtsEngine } from '../../ports/tts-engine.js';
import {
  BackendRouter,
  type BackendTimings,
  type EspeakBackendName,
  fasterBackend,
  measureBackends,
} from './espeak-backend-routing.js';
import { EspeakNativeCli } from './espeak-native.cli.js';
import type { EspeakOptions } from './espeak-options.js';
import { ESPEAK_SAMPLE_RATE, escapeXml, espeakPitch, espeakRate, isBlank } from './espeak-params.js';
import { type CatalogVoice, EspeakVoiceCatalog } from './espeak-voice-catalog.js';
import { EspeakVoiceCache } from './espeak-voice-cache.js';
import { EspeakWasmPool, type WasmPoolOptions, WasmPoolError } from './espeak-wasm.pool.js';
import { WARMUP_TEXTS } from './espeak-warmup.js';
import { alignWords, markWords } from './word-marks.js';

const CAPABILITIES: TtsCapabilities = {
  // Whole clips only: the gateway chunks long text itself, and a chunk takes milliseconds.
  streaming: false,
  wordTimestamps: true,
  cloning: false,
  supportedParams: ['speed', 'pitch', 'ssml'],
  sampleRate: ESPEAK_SAMPLE_RATE,
};

/** Seams for tests. */
export interface EspeakEngineDependencies {
  createWorker?: WasmPoolOptions['createWorker'];
  /** `backend: auto`'s timing of both backends (default: measureBackends on the real ones). */
  measureBackends?: () => Promise<BackendTimings>;
}

/**
 * espeak-ng, the gateway's embedded default voice engine. Two backends behind one voice list:
 * a warm pool of WASM workers (always available, the only one with word timings) and the
 * espeak-ng program when installed. Which one serves a request:
 *
 * - word timings asked → WASM;
 * - `backend: wasm` → WASM;
 * - `backend: native` → the program, unless it lacks the voice (its data set can be
 *   older) → WASM;
 * - `auto` with the program found → the backend measured faster for an input of this
 *   length (see espeak-backend-routing.ts; both are timed once the pool is warm), and
 *   before that measurement the program for 300+ characters; WASM when the program lacks
 *   the voice;
 * - `auto` without the program → WASM; `native` without it → unavailable (the operator
 *   asked for the program: serving from WASM instead would hide the misconfiguration).
 *
 * The program wins on long text and loses on short text (spawn cost; see EspeakNativeCli);
 * where the two cross depends on the machine, hence the measurement.
 *
 * Voice ids come from the WASM data set for every backend (see EspeakVoiceCatalog), so a
 * voice id means the same voice whichever backend serves it. With `start_workers: eager`
 * the pool starts with the engine (`wasm`, or `auto` without the program). With `lazy`
 * (default) it starts on the first synthesis that needs it; the voice list comes from
 * EspeakVoiceCache, and only when that file is missing does listing voices start the pool.
 */
/** Shortest input `backend: auto` gives to the native program until both are measured. */
const AUTO_NATIVE_MIN_CHARS = 300;

export class EspeakTtsEngine implements TtsEngine {
  readonly type = 'espeak';
  private pool?: EspeakWasmPool;
  /** The voice list: from the cache file or from the pool. */
  private catalogLoad?: Promise<EspeakVoiceCatalog>;
  /** The pool's first worker listing voices; set once the pool is started. */
  private poolLoad?: Promise<EspeakVoiceCatalog>;
  /** Resolves when the pool is first started (the background measurement waits for it). */
  private readonly poolStarted: Promise<void>;
  private markPoolStarted!: () => void;
  private readonly voiceCache: EspeakVoiceCache;
  /** A synthesis asked for the pool: from then on it stays (lazy only stops a listing pool). */
  private poolWanted = false;
  private readonly native?: EspeakNativeCli;
  private disposed = false;
  /** Both backends' measured cost (`auto` with the program found), once measured. */
  private timings?: BackendTimings;
  /** Routes `auto` inputs by the measured costs, corrected by observed syntheses. */
  private router?: BackendRouter;

  constructor(
    readonly id: string,
    private readonly options: EspeakOptions,
    private readonly context: EngineContext,
    private readonly dependencies: EspeakEngineDependencies = {},
  ) {
    this.poolStarted = new Promise((resolve) => (this.markPoolStarted = resolve));
    this.voiceCache = new EspeakVoiceCache(context.folders.outputs);
    const eager = options.startWorkers === 'eager';
    if (options.backend === 'wasm') {
      if (eager) void this.startPool();
      return;
    }
    this.native = new EspeakNativeCli(id, options.nativeBinary, options.maxConcurrentNative);
    void this.native.probe().then((probe) => {
      if (probe.found) {
        context.logger.info(
          { voices: probe.voices.size },
          `espeak: using ${options.nativeBinary}; WASM for word timings`,
        );
        if (options.backend === 'auto') void this.measureWhenWarm();
      } else {
        context.logger.warn({ reason: probe.reason }, `espeak: ${options.nativeBinary} not usable`);
        // auto falls back to WASM for everything: start it now rather than on the first request.
        if (options.backend === 'auto' && eager && !this.disposed) void this.startPool();
      }
    });
  }

  capabilities(): TtsCapabilities {
    return CAPABILITIES;
  }

  async listVoices(signal?: AbortSignal): Promise<EngineVoice[]> {
    return (await this.catalog(signal)).list();
  }

  async synthesize(request: SynthesisRequest, signal: AbortSignal): Promise<AudioClip> {
    if (signal.aborted) throw abortedError(this.id);
    if (this.disposed) throw new EngineError('unavailable', 'The espeak engine was disposed.', this.id);
    const ssml = request.ssml === true;
    if (typeof request.text !== 'string' || isBlank(request.text, ssml)) {
      throw new EngineError('invalid_input', 'The text is empty.', this.id);
    }
    for (const [name, value] of [
      ['speed', request.speed],
      ['pitch', request.pitch],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new EngineError('invalid_input', `${name} must be a positive number.`, this.id);
      }
    }
    const catalog = await this.catalog(signal);
    /** The WASM pool, started on first need (start_workers: lazy). */
    const wasm = async (): Promise<EspeakWasmPool> => {
      this.poolWanted = true;
      this.markPoolStarted();
      await this.untilAborted(this.startPool(), signal);
      return this.pool as EspeakWasmPool;
    };
    const voiceId = request.voiceId || this.options.defaultVoice;
    const voice = catalog.resolve(voiceId);
    if (!voice) throw new EngineError('voice_not_found', `espeak has no voice '${voiceId}'.`, this.id);
    const settings = {
      voice: voice.identifier,
      rate: espeakRate(request.speed),
      pitch: espeakPitch(request.pitch),
      ...(request.maxSeconds !== undefined && Number.isFinite(request.maxSeconds)
        ? { maxSamples: Math.ceil(request.maxSeconds * ESPEAK_SAMPLE_RATE) }
        : {}),
    };

    if (request.wordTimestamps) {
      const marked = markWords(request.text, ssml, escapeXml);
      const job = { ...settings, input: marked.input, collectEvents: true };
      const pool = await wasm();
      const result = await this.run(() => pool.synthesize(job, signal));
      const duration = result.samples.length / ESPEAK_SAMPLE_RATE;
      return {
        samples: result.samples,
        sampleRate: ESPEAK_SAMPLE_RATE,
        words: alignWords(marked.words, result, duration),
      };
    }
    const input = ssml ? request.text : escapeXml(request.text);
    const native = await this.nativeFor(voice, input.length, signal);
    const started = performance.now();
    const samples = native
      ? await this.run(() => native.synthesize({ ...settings, input }, signal))
      : (
          await this.run(async () =>
            (await wasm()).synthesize({ ...settings, input, collectEvents: false }, signal),
          )
        ).samples;
    const backend: EspeakBackendName = native ? 'native' : 'wasm';
    this.router?.record(backend, input.length, performance.now() - started);
    return { samples, sampleRate: ESPEAK_SAMPLE_RATE };
  }

  async health(): Promise<EngineHealth> {
    if (this.disposed) return { available: false, reason: 'the espeak engine was disposed' };
    let catalog: EspeakVoiceCatalog;
    try {
      catalog = await this.catalog();
    } catch (error) {
      return { available: false, reason: error instanceof Error ? error.message : String(error) };
    }
    const broken = this.pool?.failure;
    if (broken) return { available: false, reason: `the espeak-ng WASM workers cannot start: ${broken}` };
    if (!catalog.resolve(this.options.defaultVoice)) {
      return {
        available: false,
        reason: `options.default_voice '${this.options.defaultVoice}' is not an espeak voice`,
      };
    }
    if (this.options.backend === 'native' && this.native) {
      const probe = await this.native.probe();
      if (!probe.found) {
        return {
          available: false,
          reason: `${probe.reason} (backend: native needs it; backend: auto falls back to WASM)`,
        };
      }
    }
    return { available: true };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.native?.close();
    await this.pool?.close();
  }

  /** WASM workers running or starting now (0 until the pool starts; see start_workers). */
  get runningWorkers(): number {
    return this.pool?.workers ?? 0;
  }

  /** Which backend is faster is measured, in the background, once the pool is warm. */
  get measuredTimings(): BackendTimings | undefined {
    return this.timings;
  }

  /**
   * Times both backends (auto only) once the WASM pool has warmed up: a cold wasm2js
   * instance is several times slower than a warm one and would lose every comparison.
   * Failing to measure keeps the length rule.
   */
  private async measureWhenWarm(): Promise<void> {
    try {
      const measure =
        this.dependencies.measureBackends ??
        (async () => {
          // lazy: measure once a request has started the pool, not at boot.
          if (this.options.startWorkers === 'lazy') await this.poolStarted;
          const catalog = await this.startPool();
          await this.pool?.warm;
          const native = this.native as EspeakNativeCli;
          const voice = catalog.resolve(this.options.defaultVoice)?.identifier ?? 'gmw/en-US';
          const job = { voice, rate: espeakRate(1), pitch: espeakPitch(1) };
          const signal = new AbortController().signal;
          return measureBackends((backend, text) => {
            if (this.disposed) throw new Error('disposed');
            const input = escapeXml(text);
            return backend === 'native'
              ? native.synthesize({ ...job, input }, signal)
              : (this.pool as EspeakWasmPool).synthesize({ ...job, input, collectEvents: false }, signal);
          });
        });
      const timings = await measure();
      if (this.disposed) return;
      this.timings = timings;
      this.router = new BackendRouter(timings);
      const round = (value: number) => Math.round(value * 1000) / 1000;
      this.context.logger.info(
        {
          wasm: { fixedMs: round(timings.wasm.fixedMs), perCharMs: round(timings.wasm.perCharMs) },
          native: { fixedMs: round(timings.native.fixedMs), perCharMs: round(timings.native.perCharMs) },
          shortSentence: fasterBackend(timings, 40),
          chunk: fasterBackend(timings, 200),
        },
        'espeak: backends measured; each input goes to the faster one for its length',
      );
    } catch (error) {
      if (this.disposed) return;
      this.context.logger.warn({ err: error }, 'espeak: cannot time the backends; keeping the length rule');
    }
  }

  /**
   * The voice list, from the WASM data set: the cache file when lazy and present, else the
   * pool (started if needed). An injected test worker is another module: the pool then.
   */
  private catalog(signal?: AbortSignal): Promise<EspeakVoiceCatalog> {
    if (!this.catalogLoad) {
      const fromCache = this.options.startWorkers === 'lazy' && !this.dependencies.createWorker;
      this.catalogLoad = fromCache
        ? this.voiceCache
            .read()
            .then((voices) => (voices ? new EspeakVoiceCatalog(voices) : this.listThenStop()))
        : this.startPool();
      this.catalogLoad.catch(() => undefined); // observed by health() and every caller
    }
    return this.untilAborted(this.catalogLoad, signal);
  }

  /**
   * lazy without the cache file: a worker lists the voices (and caches them), then stops
   * unless a synthesis wants the pool meanwhile, so even a first start idles without one.
   */
  private async listThenStop(): Promise<EspeakVoiceCatalog> {
    const catalog = await this.startPool();
    if (!this.poolWanted && !this.disposed) {
      const pool = this.pool;
      this.pool = undefined;
      this.poolLoad = undefined;
      void pool?.close();
    }
    return catalog;
  }

  /** `load`, or an abort error as soon as `signal` aborts. */
  private untilAborted<T>(load: Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!signal) return load;
    if (signal.aborted) return Promise.reject(abortedError(this.id));
    // Waiting for the first worker (about half a second) must not outlast the caller.
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(abortedError(this.id));
      signal.addEventListener('abort', onAbort, { once: true });
      load.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private startPool(): Promise<EspeakVoiceCatalog> {
    if (this.poolLoad) return this.poolLoad;
    if (this.disposed) {
      return Promise.reject(new EngineError('unavailable', 'The espeak engine was disposed.', this.id));
    }
    const pool = new EspeakWasmPool({
      size: this.options.workers,
      idleMs: this.options.workerIdleSeconds * 1000,
      logger: this.context.logger,
      createWorker: this.dependencies.createWorker,
    });
    this.pool = pool;
    this.poolLoad = pool.ready
      .then((info) => {
        if (info.sampleRate !== ESPEAK_SAMPLE_RATE) throw new Error(`it reports ${info.sampleRate} Hz audio`);
        const catalog = new EspeakVoiceCatalog(info.voices);
        const { workers, warmupTexts } = this.options;
        this.context.logger.info({ voices: catalog.size, workers }, 'espeak WASM pool ready');
        if (warmupTexts > 0) pool.warmUp(warmupTexts, (i) => this.warmupJob(catalog, i));
        if (!this.dependencies.createWorker) {
          this.voiceCache.write(info.voices).catch((error: unknown) => {
            this.context.logger.warn(
              { err: error, file: this.voiceCache.file },
              'espeak: cannot cache the voice list',
            );
          });
        }
        return catalog;
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const reason = `the espeak-ng WASM module cannot load: ${message}`;
        throw new EngineError('unavailable', reason, this.id, { cause: error });
      });
    this.poolLoad.catch(() => undefined); // observed by health() and every caller
    return this.poolLoad;
  }

  private warmupJob(catalog: EspeakVoiceCatalog, index: number) {
    const text = WARMUP_TEXTS[index % WARMUP_TEXTS.length];
    const voice = catalog.resolve(this.options.defaultVoice)?.identifier ?? 'gmw/en-US';
    // Every other one with marks, so the word-timing path is warm too.
    const marked = index % 2 === 1;
    return {
      input: marked ? markWords(text, false, escapeXml).input : escapeXml(text),
      voice,
      rate: espeakRate(1),
      pitch: espeakPitch(1),
      collectEvents: marked,
    };
  }

  /** The program, when it should serve this voice; undefined means WASM. */
  private async nativeFor(
    voice: CatalogVoice,
    inputLength: number,
    signal: AbortSignal,
  ): Promise<EspeakNativeCli | undefined> {
    if (!this.native) return undefined;
    if (this.options.backend === 'auto') {
      const wanted = this.router
        ? this.router.choose(inputLength)
        : inputLength >= AUTO_NATIVE_MIN_CHARS
          ? 'native'
          : 'wasm';
      if (wanted === 'wasm') return undefined;
    }
    const probe = await this.native.probe();
    if (signal.aborted) throw abortedError(this.id);
    if (!probe.found) {
      if (this.options.backend === 'native') throw new EngineError('unavailable', probe.reason, this.id);
      return undefined;
    }
    return probe.voices.has(voice.identifier) ? this.native : undefined;
  }

  /** Runs a backend call, turning its failures into EngineErrors. */
  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.engineError(error);
    }
  }

  private engineError(error: unknown): unknown {
    if (error instanceof EngineError) return error;
    if (error instanceof WasmPoolError) {
      switch (error.reason) {
        case 'aborted':
          return abortedError(this.id);
        case 'voice_not_found':
          return new EngineError('voice_not_found', error.message, this.id, { cause: error });
        case 'closed':
          return new EngineError('unavailable', error.message, this.id, { cause: error });
        case 'crashed':
        case 'failed':
          return new EngineError('failed', error.message, this.id, { cause: error });
      }
    }
    return new EngineError('failed', error instanceof Error ? error.message : String(error), this.id, {
      cause: error,
    });
  }
}
