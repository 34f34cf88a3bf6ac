import {
  optionalNumber,
  optionalText,
  optionalTextList,
  type RawOptions,
  rejectUnknownKeys,
} from '../option-readers.js';
import { CONNECTION_KEYS, type Environment, type RemoteConnectionOptions } from '../remote/remote-options.js';
import { readOpenAiConnection } from './openai-options.js';

/** The `options:` of a `type: openai` entry in config.yaml's engines.chat, validated, with defaults applied. */
export interface OpenAiChatOptions extends RemoteConnectionOptions {
  model: string;
  /** Models reported in capabilities; default: the one model. */
  models: readonly string[];
  /** 0–2; left to the server when unset. */
  temperature?: number;
  /** Longest reply in tokens; left to the server when unset. */
  maxTokens?: number;
  /** Sent first when the history has no system turn of its own. */
  systemPrompt?: string;
}

export const OPENAI_CHAT_DEFAULTS = {
  model: 'gpt-4o-mini',
  timeoutSeconds: 60,
} as const;

const KEYS = [...CONNECTION_KEYS, 'model', 'models', 'temperature', 'max_tokens', 'system_prompt'];

export function parseOpenAiChatOptions(raw: RawOptions, env: Environment = {}): OpenAiChatOptions {
  rejectUnknownKeys(raw, KEYS, 'openai (chat)');
  const model = optionalText(raw, 'model') ?? OPENAI_CHAT_DEFAULTS.model;
  const temperature = optionalNumber(
    raw,
    'temperature',
    (value) => value >= 0 && value <= 2,
    'a number from 0 to 2',
  );
  const maxTokens = optionalNumber(
    raw,
    'max_tokens',
    (value) => Number.isInteger(value) && value > 0,
    'a positive whole number',
  );
  const systemPrompt = optionalText(raw, 'system_prompt');
  return {
    ...readOpenAiConnection(raw, env, OPENAI_CHAT_DEFAULTS.timeoutSeconds),
    model,
    models: optionalTextList(raw, 'models', 'model names') ?? [model],
    ...(temperature !== undefined ? { temperature } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(systemPrompt ? { systemPrompt } : {}),
  };
}
