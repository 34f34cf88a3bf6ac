import { CHAT_ENGINE_FACTORIES } from '../engines/chat-engine-factories.js';
import { STT_ENGINE_FACTORIES } from '../engines/stt-engine-factories.js';
import { TTS_ENGINE_FACTORIES } from '../engines/tts-engine-factories.js';

/**
 * The `type:` values each list under `engines:` accepts, read from the engine factory
 * lists (the one place that knows every adapter), so config.yaml is refused at the edge
 * instead of building an engine that can never serve.
 */
export const KNOWN_ENGINE_TYPES: Readonly<Record<'tts' | 'stt' | 'chat', readonly string[]>> = {
  tts: TTS_ENGINE_FACTORIES.map((factory) => factory.type),
  stt: STT_ENGINE_FACTORIES.map((factory) => factory.type),
  chat: CHAT_ENGINE_FACTORIES.map((factory) => factory.type),
};
