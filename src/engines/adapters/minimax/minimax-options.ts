import { EngineOptionsError } from '../../ports/engine-factory.js';
import { type EngineVoice, VOICE_GENDERS, type VoiceGender } from '../../ports/engine-health.js';
import { numberOption, optionalText, type RawOptions, rejectUnknownKeys } from '../option-readers.js';
import {
  CONNECTION_KEYS,
  type Environment,
  readConnectionOptions,
  type RemoteConnectionOptions,
} from '../remote/remote-options.js';

/** The sample rates T2A v2's audio_setting.sample_rate accepts. */
export const MINIMAX_SAMPLE_RATES: readonly number[] = [8000, 16000, 22050, 24000, 32000, 44100];
/**
 * Uncompressed formats only, so no adapter decodes mp3: `wav` (non-streaming only, which is
 * how this adapter calls) carries its rate; `pcm` is raw s16le at sample_rate.
 */
export type MiniMaxAudioFormat = 'wav' | 'pcm';
const AUDIO_FORMATS: readonly MiniMaxAudioFormat[] = ['wav', 'pcm'];

/** The `options:` of a `type: minimax` entry in config.yaml, validated, with defaults applied. */
export interface MiniMaxOptions extends RemoteConnectionOptions {
  /** Sent as `?GroupId=` when set (accounts and regions whose docs still ask for it). */
  groupId?: string;
  model: string;
  voices: readonly EngineVoice[];
  sampleRate: number;
  audioFormat: MiniMaxAudioFormat;
  /** voice_setting.vol for every call, (0, 10]. */
  volume: number;
}

export const MINIMAX_DEFAULTS = {
  baseUrl: 'https://api.minimax.io',
  model: 'speech-02-turbo',
  language: 'en',
  sampleRate: 32000,
  audioFormat: 'wav',
  volume: 1,
  timeoutSeconds: 30,
} as const;

const KEYS = [
  ...CONNECTION_KEYS,
  'group_id',
  'model',
  'voices',
  'language',
  'sample_rate',
  'audio_format',
  'vol',
];
/** Keys of one voice entry; `minimax_voice_id` / `friendly_name` are the names the OdeaDev voice data uses. */
const VOICE_KEYS = ['id', 'minimax_voice_id', 'name', 'friendly_name', 'language', 'gender', 'description'];

function voiceEntry(entry: unknown, index: number, language: string): EngineVoice {
  const where = `options.voices[${index}]`;
  if (typeof entry === 'string' && entry.trim() !== '') {
    return { id: entry.trim(), name: entry.trim(), language, gender: 'unknown' };
  }
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new EngineOptionsError(`${where} must be a voice id or { id, name, language, gender }`);
  }
  const record = entry as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!VOICE_KEYS.includes(key)) {
      throw new EngineOptionsError(`${where}.${key} is not a voice field (known: ${VOICE_KEYS.join(', ')})`);
    }
  }
  const text = (key: string): string | undefined => {
    const value = record[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new EngineOptionsError(`${where}.${key} must be a non-empty string`);
    }
    return value.trim();
  };
  const id = text('id') ?? text('minimax_voice_id');
  if (!id) throw new EngineOptionsError(`${where}.id (or minimax_voice_id) is required`);
  const gender = (text('gender')?.toLowerCase() ?? 'unknown') as VoiceGender;
  if (!VOICE_GENDERS.includes(gender)) {
    throw new EngineOptionsError(`${where}.gender must be one of ${VOICE_GENDERS.join(', ')}`);
  }
  const description = text('description');
  return {
    id,
    name: text('name') ?? text('friendly_name') ?? id,
    language: text('language') ?? language,
    gender,
    ...(description ? { description } : {}),
  };
}

function voicesOption(raw: RawOptions, language: string): EngineVoice[] {
  const value = raw.voices;
  if (!Array.isArray(value) || value.length === 0) {
    throw new EngineOptionsError(
      'options.voices is required: a non-empty list of MiniMax voice ids or { id, name, language, gender }',
    );
  }
  const voices = value.map((entry, index) => voiceEntry(entry, index, language));
  if (new Set(voices.map((voice) => voice.id)).size !== voices.length) {
    throw new EngineOptionsError('options.voices must not list a voice id twice');
  }
  return voices;
}

/**
 * Strict, like every adapter's options. A key is required (MiniMax has no anonymous
 * access): `api_key_env` names the variable, read once here from `env`.
 */
export function parseMiniMaxOptions(raw: RawOptions, env: Environment = {}): MiniMaxOptions {
  rejectUnknownKeys(raw, KEYS, 'minimax');
  const connection = readConnectionOptions({ base_url: MINIMAX_DEFAULTS.baseUrl, ...raw }, env, {
    baseUrlExample: MINIMAX_DEFAULTS.baseUrl,
    apiKeyEnvExample: 'MINIMAX_API_KEY',
    timeoutSeconds: MINIMAX_DEFAULTS.timeoutSeconds,
  });
  if (!connection.apiKey) {
    throw new EngineOptionsError(
      'options.api_key_env is required: the name of the variable holding the MiniMax key',
    );
  }
  const audioFormat = (optionalText(raw, 'audio_format') ??
    MINIMAX_DEFAULTS.audioFormat) as MiniMaxAudioFormat;
  if (!AUDIO_FORMATS.includes(audioFormat)) {
    throw new EngineOptionsError(
      `options.audio_format must be one of ${AUDIO_FORMATS.join(', ')} (no mp3: the gateway encodes)`,
    );
  }
  const groupId = optionalText(raw, 'group_id');
  return {
    ...connection,
    ...(groupId ? { groupId } : {}),
    model: optionalText(raw, 'model') ?? MINIMAX_DEFAULTS.model,
    voices: voicesOption(raw, optionalText(raw, 'language') ?? MINIMAX_DEFAULTS.language),
    sampleRate: numberOption(
      raw,
      'sample_rate',
      (value) => MINIMAX_SAMPLE_RATES.includes(value),
      `one of ${MINIMAX_SAMPLE_RATES.join(', ')}`,
      MINIMAX_DEFAULTS.sampleRate,
    ),
    audioFormat,
    volume: numberOption(
      raw,
      'vol',
      (value) => value > 0 && value <= 10,
      'a number above 0 and at most 10',
      MINIMAX_DEFAULTS.volume,
    ),
  };
}
