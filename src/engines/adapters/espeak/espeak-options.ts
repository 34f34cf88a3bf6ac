import { EngineOptionsError } from '../../ports/engine-factory.js';
import { numberOption, optionalText, type RawOptions, rejectUnknownKeys } from '../option-readers.js';

export const ESPEAK_BACKENDS = ['auto', 'wasm', 'native'] as const;
export type EspeakBackend = (typeof ESPEAK_BACKENDS)[number];

/** The `options:` of an `type: espeak` entry in config.yaml, validated, with defaults applied. */
export interface EspeakOptions {
  /**
   * `wasm`: always the in-process build. `native`: the espeak-ng program (it must exist).
   * `auto`: the warm WASM pool, and the program (when installed) for inputs of 300+
   * characters, where it measured ~2.5× faster; below that a spawn costs more than it saves.
   */
  backend: EspeakBackend;
  /** WASM worker threads; each holds its own ~25 MB espeak instance. */
  workers: number;
  /** Syntheses each worker runs while idle after start, so the first requests are not slow. */
  warmupTexts: number;
  /** Program name (looked up on PATH) or absolute path. */
  nativeBinary: string;
  /** espeak-ng processes running at once. */
  maxConcurrentNative: number;
  /** Voice used when a request names none; a voice id (see espeak-voice-catalog.ts). */
  defaultVoice: string;
}

export const ESPEAK_DEFAULT_OPTIONS: Readonly<EspeakOptions> = {
  backend: 'auto',
  workers: 1,
  warmupTexts: 30,
  nativeBinary: 'espeak-ng',
  maxConcurrentNative: 2,
  defaultVoice: 'en-us',
};

/** Keys as an operator writes them in config.yaml (adapter options are not camel-cased). */
const KEYS = [
  'backend',
  'workers',
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
    workers: integer(raw, 'workers', 1, 8, d.workers),
    warmupTexts: integer(raw, 'warmup_texts', 0, 1000, d.warmupTexts),
    nativeBinary: optionalText(raw, 'native_binary') ?? d.nativeBinary,
    maxConcurrentNative: integer(raw, 'max_concurrent_native', 1, 64, d.maxConcurrentNative),
    defaultVoice: (optionalText(raw, 'default_voice') ?? d.defaultVoice).toLowerCase(),
  };
}
