import type { ChatEngine } from '../../ports/chat-engine.js';
import type { EngineFactory } from '../../ports/engine-factory.js';
import { IntentsChatEngine } from './intents-chat.engine.js';
import { intentsVocabulary } from './intents-grammar.js';
import { parseIntentsOptions } from './intents-options.js';
import { wordsMissingFromDictionary } from './pronunciation-dictionary.js';

/**
 * `type: intents` in config.yaml's engines.chat: local sentence matching, no network.
 * Options: intents_file (YAML; relative to config.yaml's folder), intents, lists,
 * no_match_reply, time_zone, models. See IntentsOptions and config/intents.yaml.
 */
export const intentsChatEngineFactory: EngineFactory<ChatEngine> = {
  type: 'intents',
  kind: 'library',
  create(definition, context) {
    const options = parseIntentsOptions(definition.options, context.configDir ?? process.cwd());
    // A grammar word pocketsphinx cannot pronounce breaks every decode with that grammar.
    const missing = wordsMissingFromDictionary(intentsVocabulary(options.catalog));
    if (missing && missing.length > 0) {
      context.logger.warn(
        { engine: definition.id, words: missing },
        `intents use words missing from pocketsphinx's dictionary (speech recognition with this engine's grammar will fail): ${missing.join(', ')}`,
      );
    }
    return new IntentsChatEngine(definition.id, options);
  },
};
