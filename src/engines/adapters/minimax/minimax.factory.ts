import type { EngineFactory } from '../../ports/engine-factory.js';
import type { TtsEngine } from '../../ports/tts-engine.js';
import { parseMiniMaxOptions } from './minimax-options.js';
import { MiniMaxTtsEngine } from './minimax-tts.engine.js';

/**
 * `type: minimax` in config.yaml's engines.tts: MiniMax's T2A v2 (the OdeaDev provider).
 * Options: api_key_env (required), base_url (default https://api.minimax.io), group_id,
 * model, voices, language, sample_rate, audio_format, vol, timeout_seconds. See
 * MiniMaxOptions for what each does.
 */
export const miniMaxTtsEngineFactory: EngineFactory<TtsEngine> = {
  type: 'minimax',
  kind: 'remote',
  create(definition) {
    // The variable named by api_key_env is read here, once, at the config edge; never logged.
    const options = parseMiniMaxOptions(definition.options, process.env);
    return new MiniMaxTtsEngine(definition.id, options);
  },
};
