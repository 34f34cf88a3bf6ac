import type { EngineFactory } from '../../ports/engine-factory.js';
import type { SttEngine } from '../../ports/stt-engine.js';
import { parsePocketsphinxOptions } from './pocketsphinx-options.js';
import { PocketsphinxSttEngine } from './pocketsphinx-stt.engine.js';

/**
 * `type: pocketsphinx` in config.yaml's engines.stt. Options (all optional): binary,
 * model_dir, hmm, lm, dict, language, max_concurrent, decoder_options. See
 * PocketsphinxOptions for what each does.
 */
export const pocketsphinxSttEngineFactory: EngineFactory<SttEngine> = {
  type: 'pocketsphinx',
  kind: 'process',
  create(definition, context) {
    return new PocketsphinxSttEngine(
      definition.id,
      parsePocketsphinxOptions(definition.options),
      context.logger,
    );
  },
};
