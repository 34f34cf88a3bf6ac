import { EngineOptionsError } from '../../ports/engine-factory.js';
import { type RawOptions, optionalText, numberOption } from '../option-readers.js';

/* The connection options every remote adapter shares (generic readers: ../option-readers.ts). */

export type Environment = Readonly<Record<string, string | undefined>>;

/** The connection settings of every remote adapter. */
export interface RemoteConnectionOptions {
  /** The API root without a trailing slash, e.g. http://127.0.0.1:8004/v1. */
  baseUrl: string;
  /** Name of the environment variable that held the key (kept for messages; never the key itself). */
  apiKeyEnv?: string;
  /** Sent as `Authorization: Bearer …` when set. Never logged, never put in an error message. */
  apiKey?: string;
  /** Whole-call deadline, in milliseconds. */
  timeoutMs: number;
}

/** The option keys readConnectionOptions() reads. */
export const CONNECTION_KEYS = ['base_url', 'api_key', 'api_key_env', 'timeout_seconds'] as const;

export function baseUrlOption(raw: RawOptions, example: string): string {
  const value = optionalText(raw, 'base_url');
  const expected = `options.base_url must be an http(s) URL (e.g. ${example})`;
  if (value === undefined) throw new EngineOptionsError(`options.base_url is required (e.g. ${example})`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EngineOptionsError(expected);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EngineOptionsError(expected);
  if (url.username || url.password) {
    throw new EngineOptionsError('options.base_url must not contain credentials; use api_key_env');
  }
  if (url.search || url.hash) {
    throw new EngineOptionsError('options.base_url must not have a query string or fragment');
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * The key: `api_key` written in config.yaml (redacted from /config and logs by the config
 * service) or, preferably, `api_key_env`, the name of an environment variable read here,
 * once. A named variable that is unset is an error, so a missing secret fails at load.
 */
export function apiKeyOptions(
  raw: RawOptions,
  env: Environment,
  exampleEnv: string,
): { apiKey?: string; apiKeyEnv?: string } {
  const inline = optionalText(raw, 'api_key');
  const apiKeyEnv = optionalText(raw, 'api_key_env');
  if (inline !== undefined && apiKeyEnv !== undefined) {
    throw new EngineOptionsError('options.api_key and options.api_key_env are exclusive: set one');
  }
  if (apiKeyEnv === undefined) return inline === undefined ? {} : { apiKey: inline };
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv)) {
    throw new EngineOptionsError(
      `options.api_key_env must be an environment variable name (e.g. ${exampleEnv})`,
    );
  }
  const apiKey = env[apiKeyEnv]?.trim();
  if (!apiKey) {
    // The name is safe to show; the value is what must never appear.
    throw new EngineOptionsError(
      `options.api_key_env: the environment variable ${apiKeyEnv} is not set or empty`,
    );
  }
  return { apiKey, apiKeyEnv };
}

/** base_url, api_key / api_key_env and timeout_seconds (0 < s ≤ 600). */
export function readConnectionOptions(
  raw: RawOptions,
  env: Environment,
  defaults: { baseUrlExample: string; apiKeyEnvExample: string; timeoutSeconds: number },
): RemoteConnectionOptions {
  const timeoutSeconds = numberOption(
    raw,
    'timeout_seconds',
    (value) => value > 0 && value <= 600,
    'a number of seconds above 0 and at most 600',
    defaults.timeoutSeconds,
  );
  return {
    baseUrl: baseUrlOption(raw, defaults.baseUrlExample),
    ...apiKeyOptions(raw, env, defaults.apiKeyEnvExample),
    timeoutMs: Math.round(timeoutSeconds * 1000),
  };
}

/** An integer sample rate from 8000 to 192000. */
export function sampleRateOption(raw: RawOptions, key: string, fallback: number): number {
  return numberOption(
    raw,
    key,
    (value) => Number.isInteger(value) && value >= 8000 && value <= 192000,
    'an integer from 8000 to 192000',
    fallback,
  );
}
