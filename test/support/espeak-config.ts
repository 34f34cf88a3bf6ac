/** config.yaml keys (merged over the base test config) that turn on the espeak-ng engine. */
export const ESPEAK_TEST_CONFIG = {
  features: { library_integration: true },
  engines: { tts: [{ id: 'espeak', type: 'espeak', options: { backend: 'auto', workers: 1 } }] },
};
