import { availableParallelism } from 'node:os';
import { EngineOptionsError } from '../../ports/engine-factory.js';
import { numberOption, optionalText, type RawOptions, rejectUnknownKeys } from '../option-readers.js';

export const ESPEAK_BACKENDS = ['auto', 'wasm', 'native'] as const;
export type EspeakBackend = (typeof ESPEAK_BACKENDS)[number];

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
   * machine's cores (os.availableParallelism()). One starts with the engine (the voice list
   * comes from it); the others start when requests queue, so an idle gateway holds one.
   */
  workers: number;
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
  return {
    backend: backend as EspeakBackend,
    workers: integer(raw, 'workers', 1, MAX_WORKERS, d.workers),
    workerIdleSeconds: integer(raw, 'worker_idle_seconds', 0, 86_400, d.workerIdleSeconds),
    warmupTexts: integer(raw, 'warmup_texts', 0, 1000, d.warmupTexts),
    nativeBinary: optionalText(raw, 'native_binary') ?? d.nativeBinary,
    maxConcurrentNative: integer(raw, 'max_concurrent_native', 1, MAX_WORKERS, d.maxConcurrentNative),
    defaultVoice: (optionalText(raw, 'default_voice') ?? d.defaultVoice).toLowerCase(),
  };
}
