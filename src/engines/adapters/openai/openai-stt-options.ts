import { EngineOptionsError } from '../../ports/engine-factory.js';
import { optionalText, optionalTextList, type RawOptions, rejectUnknownKeys } from '../option-readers.js';
import {
  CONNECTION_KEYS,
  type Environment,
  type RemoteConnectionOptions,
  sampleRateOption,
} from '../remote/remote-options.js';
import { readOpenAiConnection } from './openai-options.js';

/** verbose_json brings segments and word timings; json only the text (gpt-4o-transcribe answers only json). */
export type TranscriptionFormat = 'verbose_json' | 'json';
const FORMATS: readonly TranscriptionFormat[] = ['verbose_json', 'json'];

/** The `options:` of a `type: openai` entry in config.yaml's engines.stt, validated, with defaults applied. */
export interface OpenAiSttOptions extends RemoteConnectionOptions {
  model: string;
  /** Languages reported in capabilities (the server may know more). */
  languages: readonly string[];
  /** Sent as `language` when a request names none. */
  defaultLanguage?: string;
  /** The rate the audio is sent at (Whisper works at 16 kHz). */
  sampleRate: number;
  /** The format asked for first; verbose_json falls back to json once a server refuses it. */
  responseFormat: TranscriptionFormat;
}

export const OPENAI_STT_DEFAULTS = {
  model: 'whisper-1',
  languages: ['en'],
  sampleRate: 16000,
  responseFormat: 'verbose_json',
  timeoutSeconds: 120,
} as const;

const KEYS = [...CONNECTION_KEYS, 'model', 'languages', 'language', 'sample_rate', 'response_format'];

export function parseOpenAiSttOptions(raw: RawOptions, env: Environment = {}): OpenAiSttOptions {
  rejectUnknownKeys(raw, KEYS, 'openai (stt)');
  const responseFormat = (optionalText(raw, 'response_format') ??
    OPENAI_STT_DEFAULTS.responseFormat) as TranscriptionFormat;
  if (!FORMATS.includes(responseFormat)) {
    throw new EngineOptionsError(`options.response_format must be one of ${FORMATS.join(', ')}`);
  }
  const defaultLanguage = optionalText(raw, 'language');
  return {
    ...readOpenAiConnection(raw, env, OPENAI_STT_DEFAULTS.timeoutSeconds),
    model: optionalText(raw, 'model') ?? OPENAI_STT_DEFAULTS.model,
    languages: optionalTextList(raw, 'languages', 'language codes') ?? OPENAI_STT_DEFAULTS.languages,
    ...(defaultLanguage ? { defaultLanguage } : {}),
    sampleRate: sampleRateOption(raw, 'sample_rate', OPENAI_STT_DEFAULTS.sampleRate),
    responseFormat,
  };
}
