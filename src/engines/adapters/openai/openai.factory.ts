import type { EngineFactory } from '../../ports/engine-factory.js';
import type { TtsEngine } from '../../ports/tts-engine.js';
import { parseOpenAiOptions } from './openai-options.js';
import { OpenAiTtsEngine } from './openai-tts.engine.js';

/**
 * `type: openai` in config.yaml's engines.tts: any server speaking OpenAI's /v1/audio/speech
 * (OpenAI, speaches, Kokoro-FastAPI, LocalAI, Chatterbox, another speech-gateway). Options:
 * base_url (required), api_key_env or api_key, model, voices, language, timeout_seconds,
 * sample_rate. See OpenAiOptions for what each does.
 */
export const openAiTtsEngineFactory: EngineFactory<TtsEngine> = {
  type: 'openai',
  kind: 'remote',
  create(definition, context) {
    // The one place this adapter touches the environment: config names the variable
    // (api_key_env) so the secret stays out of config.yaml, and resolving it here, once, at
    // the config edge keeps the engine itself free of process.env. The value is never logged.
    const options = parseOpenAiOptions(definition.options, process.env);
    return new OpenAiTtsEngine(definition.id, options, context.logger);
  },
};
