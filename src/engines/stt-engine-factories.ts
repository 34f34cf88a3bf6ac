import { openAiSttEngineFactory } from './adapters/openai/openai-stt.factory.js';
import { pocketsphinxSttEngineFactory } from './adapters/pocketsphinx/pocketsphinx.factory.js';
import type { EngineFactory } from './ports/engine-factory.js';
import type { SttEngine } from './ports/stt-engine.js';

/**
 * Every STT adapter type the gateway knows. Adding an adapter: write it under
 * engines/adapters/<name>/ and add its factory here — the only place that lists them.
 */
export const STT_ENGINE_FACTORIES: ReadonlyArray<EngineFactory<SttEngine>> = [
  pocketsphinxSttEngineFactory,
  openAiSttEngineFactory,
];
