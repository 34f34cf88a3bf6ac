import { availableParallelism } from 'node:os';
import { EngineOptionsError } from '../../ports/engine-factory.js';
import { numberOption, optionalText, type RawOptions, rejectUnknownKeys } from '../option-readers.js';

export const ESPEAK_BACKENDS = ['auto', 'wasm', 'native'] as const;
export type EspeakBackend = (typeof ESPEAK_BACKENDS)[number];
export const ESPEAK_START_WORKERS = ['lazy', 'eager'] as const;
export type EspeakStartWorkers = (typeof ESPEAK_START_WORKERS)[number];

/** The `options:` of an `type: espeak` entry in config.yaml, validated, with defaults applied. */
export interface EspeakOptions {
  /**
   * `wasm`: always the in-process build. `native`: the espeak-ng program (it must exist).
   * `auto`: both, each input on the one measured faster for its length. Both backends are
   * timed on a short and a chunk-sized sample once the pool is warm (in the background,
   * about a second); until then inputs of 300+ characters go to the program, where it
   * usually wins, and shorter ones to WASM. Without the program `auto` is WASM only.
   */
  backend: EspeakBackend;
  /**
   * Most WASM worker threads; each holds its own ~25 MB espeak instance. Default: the
   * machine's cores (os.availableParallelism()). The first starts as `start_workers` says;
   * the others start when requests queue, and stop again after `worker_idle_seconds`.
   */
  workers: number;
  /**
   * When the first WASM worker (~75 MB of the process) starts. `lazy` (default): on the
   * first request that needs it; the voice list is read from a file written the first time
   * a worker listed voices (outputs/.espeak/voices-<package version>.json), so an idle
   * gateway holds no worker. Without that file (first start, new espeak-ng-emscripten
   * version) listing voices starts one. The warm-up then runs after that first request.
   * `eager`: with the engine, warmed up at once, as before (first requests are not slower;
   * costs the memory while idle).
   */
  startWorkers: EspeakStartWorkers;
  /** Seconds a worker beyond the first may stay idle before it is stopped (0: never). */
  workerIdleSeconds: number;
  /** Syntheses each worker runs while idle after start, so the first requests are not slow. */
  warmupTexts: number;
  /** Program name (looked up on PATH) or absolute path. */
  nativeBinary: string;
  /** espeak-ng processes running at once. Default: the machine's cores. */
  maxConcurrentNative: number;
  /** Voice used when a request names none; a voice id (see espeak-voice-catalog.ts). */
  defaultVoice: string;
}

/** Most workers (and processes) an option may ask for. */
const MAX_WORKERS = 64;

/** The machine's cores, the default number of workers and of native processes. */
export function defaultParallelism(cores = availableParallelism()): number {
  return Math.max(1, Math.min(MAX_WORKERS, cores));
}

export const ESPEAK_DEFAULT_OPTIONS: Readonly<EspeakOptions> = {
  backend: 'auto',
  workers: defaultParallelism(),
  workerIdleSeconds: 300,
  startWorkers: 'lazy',
  warmupTexts: 30,
  nativeBinary: 'espeak-ng',
  maxConcurrentNative: defaultParallelism(),
  defaultVoice: 'en-us',
};

/** Keys as an operator writes them in config.yaml (adapter options are not camel-cased). */
const KEYS = [
  'backend',
  'workers',
  'worker_idle_seconds',
  'start_workers',
  'warmup_texts',
  'native_binary',
  'max_concurrent_native',
  'default_voice',
];

/** An integer option from `min` to `max`, or `fallback` when absent. */
function integer(raw: RawOptions, key: string, min: number, max: number, fallback: number): number {
  const inRange = (value: number): boolean => Number.isInteger(value) && value >= min && value <= max;
  return numberOption(raw, key, inRange, `an integer from ${min} to ${max}`, fallback);
}

/** Strict: unknown keys and wrong types throw, so a typo never silently falls back to a default. */
export function parseEspeakOptions(raw: RawOptions): EspeakOptions {
  rejectUnknownKeys(raw, KEYS, 'espeak', 'an espeak option');
  const backend = raw.backend ?? ESPEAK_DEFAULT_OPTIONS.backend;
  if (typeof backend !== 'string' || !(ESPEAK_BACKENDS as readonly string[]).includes(backend)) {
    throw new EngineOptionsError(`options.backend must be one of ${ESPEAK_BACKENDS.join(', ')}`);
  }
  const d = ESPEAK_DEFAULT_OPTIONS;
  const startWorkers = raw.start_workers ?? d.startWorkers;
  if (
    typeof startWorkers !== 'string' ||
    !(ESPEAK_START_WORKERS as readonly string[]).includes(startWorkers)
  ) {
    throw new EngineOptionsError(`options.start_workers must be one of ${ESPEAK_START_WORKERS.join(', ')}`);
  }
  return {
    backend: backend as EspeakBackend,
    workers: integer(raw, 'workers', 1, MAX_WORKERS, d.workers),
    workerIdleSeconds: integer(raw, 'worker_idle_seconds', 0, 86_400, d.workerIdleSeconds),
    startWorkers: startWorkers as EspeakStartWorkers,
    warmupTexts: integer(raw, 'warmup_texts', 0, 1000, d.warmupTexts),
    nativeBinary: optionalText(raw, 'native_binary') ?? d.nativeBinary,
    maxConcurrentNative: integer(raw, 'max_concurrent_native', 1, MAX_WORKERS, d.maxConcurrentNative),
    defaultVoice: (optionalText(raw, 'default_voice') ?? d.defaultVoice).toLowerCase(),
  };
}
