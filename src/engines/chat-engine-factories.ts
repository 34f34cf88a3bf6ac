import { intentsChatEngineFactory } from './adapters/intents/intents.factory.js';
import { openAiChatEngineFactory } from './adapters/openai/openai-chat.factory.js';
import type { ChatEngine } from './ports/chat-engine.js';
import type { EngineFactory } from './ports/engine-factory.js';

/**
 * Every chat (LLM) adapter type the gateway knows. Adding an adapter: write it under
 * engines/adapters/<name>/ and add its factory here — the only place that lists them.
 */
export const CHAT_ENGINE_FACTORIES: ReadonlyArray<EngineFactory<ChatEngine>> = [
  intentsChatEngineFactory,
  openAiChatEngineFactory,
];
