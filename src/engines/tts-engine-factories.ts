import { espeakTtsEngineFactory } from './adapters/espeak/espeak.factory.js';
import { fliteTtsEngineFactory } from './adapters/flite/flite-tts.engine.js';
import { miniMaxTtsEngineFactory } from './adapters/minimax/minimax.factory.js';
import { openAiTtsEngineFactory } from './adapters/openai/openai.factory.js';
import type { EngineFactory } from './ports/engine-factory.js';
import type { TtsEngine } from './ports/tts-engine.js';

/**
 * Every TTS adapter type the gateway knows. Adding an adapter: write it under
 * engines/adapters/<name>/ and add its factory here — the only place that lists them.
 */
export const TTS_ENGINE_FACTORIES: ReadonlyArray<EngineFactory<TtsEngine>> = [
  espeakTtsEngineFactory,
  fliteTtsEngineFactory,
  openAiTtsEngineFactory,
  miniMaxTtsEngineFactory,
];
