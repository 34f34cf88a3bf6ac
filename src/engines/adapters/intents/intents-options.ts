import { EngineOptionsError } from '../../ports/engine-factory.js';
import { optionalText, optionalTextList, type RawOptions, rejectUnknownKeys } from '../option-readers.js';
import {
  buildIntentsCatalog,
  type IntentsCatalog,
  type IntentsSource,
  readIntentsFile,
} from './intents-catalog.js';
import { checkTimeZone } from './spoken-clock.js';

/** The `options:` of a `type: intents` entry in config.yaml's engines.chat, validated. */
export interface IntentsOptions {
  catalog: IntentsCatalog;
  /** IANA zone for {time} and {date}; the host's zone when unset. */
  timeZone?: string;
  /** Models reported in capabilities; default: the engine id. */
  models?: readonly string[];
}

const KEYS = ['intents_file', 'intents', 'lists', 'no_match_reply', 'time_zone', 'models'];

/**
 * `baseDir` is the folder a relative `intents_file` resolves against: config.yaml's
 * folder (the registry passes it), else the working directory.
 */
export function parseIntentsOptions(raw: RawOptions, baseDir: string): IntentsOptions {
  rejectUnknownKeys(raw, KEYS, 'intents');
  const file = optionalText(raw, 'intents_file');
  const sources: IntentsSource[] = [];
  if (file !== undefined) sources.push(readIntentsFile(file, baseDir));
  sources.push({
    document: { intents: raw.intents, lists: raw.lists, no_match_reply: raw.no_match_reply },
    where: 'options',
  });
  const catalog = buildIntentsCatalog(sources);
  const timeZone = optionalText(raw, 'time_zone');
  if (timeZone !== undefined) {
    try {
      checkTimeZone(timeZone);
    } catch {
      throw new EngineOptionsError(
        `options.time_zone '${timeZone}' is not an IANA time zone (e.g. Europe/Berlin)`,
      );
    }
  }
  const models = optionalTextList(raw, 'models', 'model names');
  return { catalog, ...(timeZone ? { timeZone } : {}), ...(models ? { models } : {}) };
}
