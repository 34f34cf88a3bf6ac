import {
  optionalBoolean,
  optionalText,
  optionalTextList,
  type RawOptions,
  rejectUnknownKeys,
} from '../option-readers.js';
import {
  CONNECTION_KEYS,
  type Environment,
  readConnectionOptions,
  type RemoteConnectionOptions,
  sampleRateOption,
} from '../remote/remote-options.js';

/** The voices OpenAI's /v1/audio/speech offers for tts-1 / tts-1-hd / gpt-4o-mini-tts. */
export const OPENAI_DEFAULT_VOICES: readonly string[] = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'onyx',
  'nova',
  'sage',
  'shimmer',
  'verse',
];

/** The `options:` of a `type: openai` TTS entry in config.yaml, validated, with defaults applied. */
export interface OpenAiOptions extends RemoteConnectionOptions {
  model: string;
  /** Voice ids the remote offers; listVoices() reports exactly these. */
  voices: readonly string[];
  /** Language tag reported for every voice. */
  language: string;
  /** The rate the remote is expected to answer at (OpenAI: 24 kHz); also the rate of raw audio/pcm bodies. */
  sampleRate: number;
  /**
   * The remote's answers are finished audio (another speech-gateway): a one-chunk answer is
   * passed through without trimming or levelling, so it leaves byte for byte as it came.
   */
  finalAudio: boolean;
}

export const OPENAI_DEFAULTS = {
  model: 'tts-1',
  language: 'en',
  timeoutSeconds: 30,
  sampleRate: 24000,
} as const;

/** base_url, api_key / api_key_env and timeout_seconds of any OpenAI-compatible entry (TTS, STT, chat). */
export function readOpenAiConnection(
  raw: RawOptions,
  env: Environment,
  timeoutSeconds: number,
): RemoteConnectionOptions {
  return readConnectionOptions(raw, env, {
    baseUrlExample: 'http://127.0.0.1:8004/v1',
    apiKeyEnvExample: 'OPENAI_API_KEY',
    timeoutSeconds,
  });
}

/** Keys as an operator writes them in config.yaml. */
const KEYS = [...CONNECTION_KEYS, 'model', 'voices', 'language', 'sample_rate', 'final_audio'];

/**
 * Strict: unknown keys and wrong types throw, so a typo never silently falls back to a default.
 * `env` resolves `api_key_env`; the factory passes process.env (see openai.factory.ts).
 */
export function parseOpenAiOptions(raw: RawOptions, env: Environment = {}): OpenAiOptions {
  rejectUnknownKeys(raw, KEYS, 'openai');
  return {
    ...readOpenAiConnection(raw, env, OPENAI_DEFAULTS.timeoutSeconds),
    model: optionalText(raw, 'model') ?? OPENAI_DEFAULTS.model,
    voices: optionalTextList(raw, 'voices', 'voice ids') ?? OPENAI_DEFAULT_VOICES,
    language: optionalText(raw, 'language') ?? OPENAI_DEFAULTS.language,
    sampleRate: sampleRateOption(raw, 'sample_rate', OPENAI_DEFAULTS.sampleRate),
    finalAudio: optionalBoolean(raw, 'final_audio') ?? false,
  };
}
