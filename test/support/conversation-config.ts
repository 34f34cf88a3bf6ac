import { fileURLToPath } from 'node:url';
import { ESPEAK_TEST_CONFIG } from './espeak-config.js';
import { POCKETSPHINX_TEST_CONFIG } from './speech-fixtures.js';
import { deepMerge } from './test-gateway.js';

/** The intents the shipped config.yaml answers with (greeting, time, date, help, lights). */
export const SHIPPED_INTENTS_FILE = fileURLToPath(new URL('../../../config/intents.yaml', import.meta.url));

/** The shipped config's chat engine: the local intents engine. */
export const INTENTS_CHAT_ENGINE = {
  id: 'intents',
  type: 'intents',
  priority: 10,
  options: { intents_file: SHIPPED_INTENTS_FILE },
};

/** config.yaml keys for a conversation gateway as shipped: espeak TTS, pocketsphinx STT, intents chat. */
export const CONVERSATION_TEST_CONFIG: Record<string, unknown> = deepMerge(
  deepMerge(ESPEAK_TEST_CONFIG, POCKETSPHINX_TEST_CONFIG),
  { engines: { chat: [INTENTS_CHAT_ENGINE] } },
);
