import { EngineOptionsError } from '../../ports/engine-factory.js';

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

/** The `options:` of a `type: openai` entry in config.yaml, validated, with defaults applied. */
export interface OpenAiOptions {
  /** The API root including its version segment, without a trailing slash, e.g. http://127.0.0.1:8004/v1. */
  baseUrl: string;
  /** Name of the environment variable that held the key (kept for messages; never the key itself). */
  apiKeyEnv?: string;
  /** Sent as `Authorization: Bearer …` when set. Never logged, never put in an error message. */
  apiKey?: string;
  model: string;
  /** Voice ids the remote offers; listVoices() reports exactly these. */
  voices: readonly string[];
  /** Language tag reported for every voice. */
  language: string;
  /** Per-request deadline for synthesize(), in milliseconds. */
  timeoutMs: number;
  /** The rate the remote is expected to answer at (OpenAI: 24 kHz); also the rate of raw audio/pcm bodies. */
  sampleRate: number;
}

export const OPENAI_DEFAULTS = {
  model: 'tts-1',
  language: 'en',
  timeoutSeconds: 30,
  sampleRate: 24000,
} as const;

/** Keys as an operator writes them in config.yaml. */
const KEYS = [
  'base_url',
  'api_key',
  'api_key_env',
  'model',
  'voices',
  'language',
  'timeout_seconds',
  'sample_rate',
];

function text(raw: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new EngineOptionsError(`options.${key} must be a non-empty string`);
  }
  return value.trim();
}

function baseUrl(raw: Readonly<Record<string, unknown>>): string {
  const value = text(raw, 'base_url');
  if (value === undefined) {
    throw new EngineOptionsError('options.base_url is required (e.g. http://127.0.0.1:8004/v1)');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EngineOptionsError('options.base_url must be an http(s) URL (e.g. http://127.0.0.1:8004/v1)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EngineOptionsError('options.base_url must be an http(s) URL (e.g. http://127.0.0.1:8004/v1)');
  }
  if (url.username || url.password) {
    throw new EngineOptionsError('options.base_url must not contain credentials; use api_key_env');
  }
  if (url.search || url.hash) {
    throw new EngineOptionsError('options.base_url must not have a query string or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

function voices(raw: Readonly<Record<string, unknown>>): readonly string[] {
  const value = raw.voices;
  if (value === undefined) return OPENAI_DEFAULT_VOICES;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((voice) => typeof voice === 'string' && voice.trim() !== '')
  ) {
    throw new EngineOptionsError('options.voices must be a non-empty list of voice ids');
  }
  const list = (value as string[]).map((voice) => voice.trim());
  if (new Set(list).size !== list.length) {
    throw new EngineOptionsError('options.voices must not list a voice twice');
  }
  return list;
}

function number(
  raw: Readonly<Record<string, unknown>>,
  key: string,
  check: (value: number) => boolean,
  expected: string,
  fallback: number,
): number {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
    throw new EngineOptionsError(`options.${key} must be ${expected}`);
  }
  return value;
}

/**
 * Strict: unknown keys and wrong types throw, so a typo never silently falls back to a default.
 * `env` resolves `api_key_env`; the factory passes process.env (see openai.factory.ts).
 */
export function parseOpenAiOptions(
  raw: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>> = {},
): OpenAiOptions {
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) {
      throw new EngineOptionsError(`options.${key} is not an openai option (known: ${KEYS.join(', ')})`);
    }
  }
  const apiKeyOption = text(raw, 'api_key');
  const apiKeyEnv = text(raw, 'api_key_env');
  if (apiKeyOption !== undefined && apiKeyEnv !== undefined) {
    throw new EngineOptionsError('options.api_key and options.api_key_env are exclusive: set one');
  }
  if (apiKeyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv)) {
    throw new EngineOptionsError(
      'options.api_key_env must be an environment variable name (e.g. OPENAI_API_KEY)',
    );
  }
  let apiKey = apiKeyOption;
  if (apiKeyEnv !== undefined) {
    apiKey = env[apiKeyEnv]?.trim();
    if (!apiKey) {
      // The name is safe to show; the value is what must never appear.
      throw new EngineOptionsError(
        `options.api_key_env: the environment variable ${apiKeyEnv} is not set or empty`,
      );
    }
  }
  const timeoutSeconds = number(
    raw,
    'timeout_seconds',
    (value) => value > 0 && value <= 600,
    'a number of seconds above 0 and at most 600',
    OPENAI_DEFAULTS.timeoutSeconds,
  );
  return {
    baseUrl: baseUrl(raw),
    ...(apiKeyEnv !== undefined ? { apiKeyEnv } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    model: text(raw, 'model') ?? OPENAI_DEFAULTS.model,
    voices: voices(raw),
    language: text(raw, 'language') ?? OPENAI_DEFAULTS.language,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    sampleRate: number(
      raw,
      'sample_rate',
      (value) => Number.isInteger(value) && value >= 8000 && value <= 192000,
      'an integer from 8000 to 192000',
      OPENAI_DEFAULTS.sampleRate,
    ),
  };
}
