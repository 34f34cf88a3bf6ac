import type { ChatEngine } from '../../ports/chat-engine.js';
import type { EngineFactory } from '../../ports/engine-factory.js';
import { parseOpenAiChatOptions } from './openai-chat-options.js';
import { OpenAiChatEngine } from './openai-chat.engine.js';

/**
 * `type: openai` in config.yaml's engines.chat: any server speaking OpenAI's
 * /v1/chat/completions. Options: base_url (required), api_key_env or api_key, model,
 * models, temperature, max_tokens, system_prompt, timeout_seconds. See OpenAiChatOptions.
 */
export const openAiChatEngineFactory: EngineFactory<ChatEngine> = {
  type: 'openai',
  kind: 'remote',
  create(definition) {
    // The variable named by api_key_env is read here, once, at the config edge; never logged.
    return new OpenAiChatEngine(definition.id, parseOpenAiChatOptions(definition.options, process.env));
  },
};
