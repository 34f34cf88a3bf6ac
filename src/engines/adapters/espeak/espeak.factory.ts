import type { EngineFactory } from '../../ports/engine-factory.js';
import type { TtsEngine } from '../../ports/tts-engine.js';
import { EspeakTtsEngine } from './espeak-tts.engine.js';
import { parseEspeakOptions } from './espeak-options.js';

/**
 * `type: espeak` in config.yaml's engines.tts. Options (all optional):
 * backend (auto | wasm | native), workers (1–8), warmup_texts (0–1000), native_binary,
 * max_concurrent_native (1–64), default_voice. See EspeakOptions for what each does.
 */
export const espeakTtsEngineFactory: EngineFactory<TtsEngine> = {
  type: 'espeak',
  // It can always run in-process (WASM); the espeak-ng program is only an accelerator.
  kind: 'library',
  create(definition, context) {
    return new EspeakTtsEngine(definition.id, parseEspeakOptions(definition.options), context);
  },
};
