import { join } from 'node:path';
import { EngineOptionsError } from '../../ports/engine-factory.js';
import { numberOption, optionalText, type RawOptions, rejectUnknownKeys } from '../option-readers.js';

/** Where Debian's pocketsphinx-en-us package puts the US English model. */
export const DEBIAN_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

/** The `options:` of a `type: pocketsphinx` entry in config.yaml, validated, with defaults applied. */
export const POCKETSPHINX_DECODERS = ['auto', 'warm', 'process'] as const;
export type PocketsphinxDecoderMode = (typeof POCKETSPHINX_DECODERS)[number];

export interface PocketsphinxOptions {
  /**
   * `warm`: the model stays loaded in a small server (Debian's python3-pocketsphinx) that
   * forks a decoder per request; `process`: pocketsphinx_continuous per request; `auto`:
   * warm when its server starts, else process. Both decode identically.
   */
  decoder: PocketsphinxDecoderMode;
  /** Program name (looked up on PATH) or absolute path (process decoder). */
  binary: string;
  /** The Python with Debian's pocketsphinx bindings (warm decoder). */
  python: string;
  /** Acoustic model folder (-hmm). */
  hmm: string;
  /** Language model (-lm), used when a request brings no grammar or vocabulary. */
  lm: string;
  /** Pronunciation dictionary (-dict); grammar and vocabulary words must be in it. */
  dict: string;
  /** The language the model recognises (ISO 639-1). */
  language: string;
  /** Decoder processes at once; further requests wait (their own bulkhead queues them first). */
  maxConcurrent: number;
  /** Extra decoder flags, e.g. { beam: 1e-60, pbeam: 1e-50 }, passed as `-beam 1e-60`. */
  decoderOptions: Record<string, string>;
}

/** Flags the adapter sets itself; an operator cannot override them through decoder_options. */
const RESERVED_FLAGS = new Set([
  'infile',
  'inmic',
  'hmm',
  'lm',
  'dict',
  'jsgf',
  'fsg',
  'kws',
  'keyphrase',
  'time',
  'logfn',
  'samprate',
  'argfile',
]);

const KEYS = [
  'decoder',
  'binary',
  'python',
  'model_dir',
  'hmm',
  'lm',
  'dict',
  'language',
  'max_concurrent',
  'decoder_options',
];

function text(raw: RawOptions, key: string, fallback: string): string {
  return optionalText(raw, key) ?? fallback;
}

function decoderFlags(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new EngineOptionsError('options.decoder_options must be a mapping of decoder flag to value');
  }
  const flags: Record<string, string> = {};
  for (const [flag, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[a-z][a-z0-9_]{0,31}$/.test(flag)) {
      throw new EngineOptionsError(
        `options.decoder_options.${flag} is not a decoder flag name (lower-case letters, digits, _)`,
      );
    }
    if (RESERVED_FLAGS.has(flag)) {
      throw new EngineOptionsError(
        `options.decoder_options.${flag} is set by the adapter; use the option of that name instead`,
      );
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new EngineOptionsError(`options.decoder_options.${flag} must be a string, number or boolean`);
    }
    const written = typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
    if (written === '' || (written.startsWith('-') && !/^-?\d/.test(written)) || /[\s\0]/.test(written)) {
      throw new EngineOptionsError(`options.decoder_options.${flag} must be a single word or number`);
    }
    flags[flag] = written;
  }
  return flags;
}

/** Strict: unknown keys and wrong types throw, so a typo never silently falls back to a default. */
export function parsePocketsphinxOptions(raw: RawOptions): PocketsphinxOptions {
  rejectUnknownKeys(raw, KEYS, 'pocketsphinx', 'a pocketsphinx option');
  const modelDir = text(raw, 'model_dir', DEBIAN_MODEL_DIR);
  const maxConcurrent = numberOption(
    raw,
    'max_concurrent',
    (value) => Number.isInteger(value) && value >= 1 && value <= 64,
    'an integer from 1 to 64',
    2,
  );
  const language = text(raw, 'language', 'en').toLowerCase();
  if (!/^[a-z]{2,3}$/.test(language))
    throw new EngineOptionsError('options.language must be an ISO 639-1 code such as en');
  const decoder = raw.decoder ?? 'auto';
  if (typeof decoder !== 'string' || !(POCKETSPHINX_DECODERS as readonly string[]).includes(decoder)) {
    throw new EngineOptionsError(`options.decoder must be one of ${POCKETSPHINX_DECODERS.join(', ')}`);
  }
  return {
    decoder: decoder as PocketsphinxDecoderMode,
    binary: text(raw, 'binary', 'pocketsphinx_continuous'),
    // Debian's own Python: a pyenv or venv python3 on PATH would not see python3-pocketsphinx.
    python: text(raw, 'python', '/usr/bin/python3'),
    hmm: text(raw, 'hmm', join(modelDir, 'en-us')),
    lm: text(raw, 'lm', join(modelDir, 'en-us.lm.bin')),
    dict: text(raw, 'dict', join(modelDir, 'cmudict-en-us.dict')),
    language,
    maxConcurrent,
    decoderOptions: decoderFlags(raw.decoder_options),
  };
}
