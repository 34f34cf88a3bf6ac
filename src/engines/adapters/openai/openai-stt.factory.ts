import type { EngineFactory } from '../../ports/engine-factory.js';
import type { SttEngine } from '../../ports/stt-engine.js';
import { parseOpenAiSttOptions } from './openai-stt-options.js';
import { OpenAiSttEngine } from './openai-stt.engine.js';

/**
 * `type: openai` in config.yaml's engines.stt: any server speaking OpenAI's
 * /v1/audio/transcriptions (OpenAI, speaches, LocalAI, another speech-gateway). Options:
 * base_url (required), api_key_env or api_key, model, languages, language, sample_rate,
 * response_format, timeout_seconds. See OpenAiSttOptions for what each does.
 */
export const openAiSttEngineFactory: EngineFactory<SttEngine> = {
  type: 'openai',
  kind: 'remote',
  create(definition) {
    // The variable named by api_key_env is read here, once, at the config edge; never logged.
    return new OpenAiSttEngine(definition.id, parseOpenAiSttOptions(definition.options, process.env));
  },
};
