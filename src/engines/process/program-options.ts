import {
  numberOption,
  optionalText,
  type RawOptions,
  rejectUnknownKeys,
} from '../adapters/option-readers.js';

/** The options every local-program engine shares (keys as in config.yaml). */
export interface ProgramOptions {
  /** `binary`: program name (looked up on PATH) or absolute path. */
  binary: string;
  /** `default_voice`: the voice used when a request names none. */
  defaultVoice: string;
  /** `max_concurrent` (1–64, default 2): processes at once; further requests queue. */
  maxConcurrent: number;
  /** `timeout_seconds` (default 60): one run longer than this is killed (transient). */
  timeoutSeconds: number;
}

export const PROGRAM_OPTION_KEYS = ['binary', 'default_voice', 'max_concurrent', 'timeout_seconds'];

/**
 * Reads a process engine's options strictly (unknown keys and wrong types throw an
 * EngineOptionsError naming the option); `extraKeys` are the adapter's own, read by it.
 */
export function readProgramOptions(
  raw: RawOptions,
  type: string,
  defaults: { binary: string; defaultVoice: string },
  extraKeys: readonly string[] = [],
): ProgramOptions {
  rejectUnknownKeys(raw, [...PROGRAM_OPTION_KEYS, ...extraKeys], type);
  const integer = (value: number): boolean => Number.isInteger(value) && value >= 1 && value <= 64;
  return {
    binary: optionalText(raw, 'binary') ?? defaults.binary,
    defaultVoice: optionalText(raw, 'default_voice') ?? defaults.defaultVoice,
    maxConcurrent: numberOption(raw, 'max_concurrent', integer, 'an integer from 1 to 64', 2),
    timeoutSeconds: numberOption(raw, 'timeout_seconds', (s) => s > 0 && s <= 3600, 'from 0 to 3600', 60),
  };
}
