import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from './config.loader.js';
import { fallbackChainOf, ttsEngineChain } from './engine-fallback.js';

function errorsOf(text: string): string[] {
  const result = parseConfig(text, {});
  assert.equal(result.ok, false, 'expected the config to be refused');
  return result.ok ? [] : result.errors;
}

const TTS = (entries: string): string => `engines:\n  tts:\n${entries}`;

describe('engine fallback chains', () => {
  it('follows fallback lists transitively, each engine once, in the order written', () => {
    const result = parseConfig(
      TTS(
        '    - { id: a, type: openai, fallback: [b, c] }\n' +
          '    - { id: b, type: openai, fallback: [d] }\n' +
          '    - { id: c, type: openai, fallback: [d] }\n' +
          '    - { id: d, type: espeak }\n',
      ),
      {},
    );
    assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
    const entries = result.config.engines.tts;
    assert.deepEqual(fallbackChainOf(entries, 'a'), ['a', 'b', 'd', 'c']);
    assert.deepEqual(fallbackChainOf(entries, 'c'), ['c', 'd']);
    assert.deepEqual(fallbackChainOf(entries, 'd'), ['d']);
    assert.deepEqual(fallbackChainOf(entries, 'gone'), []);
  });

  it('refuses unknown ids, the engine itself and ids listed twice', () => {
    const errors = errorsOf(
      TTS('    - { id: a, type: openai, fallback: [a, nope, b, b] }\n    - { id: b, type: espeak }\n'),
    );
    assert.ok(errors.includes("engines.tts.0.fallback names the engine itself ('a')"), errors.join('\n'));
    assert.ok(
      errors.includes("engines.tts.0.fallback names 'nope', which engines.tts does not define"),
      errors.join('\n'),
    );
    assert.ok(errors.includes("engines.tts.0.fallback lists 'b' twice"), errors.join('\n'));
  });

  it('refuses a fallback of another kind, and fallback lists outside engines.tts', () => {
    const errors = errorsOf(
      'engines:\n  tts:\n    - { id: a, type: openai, fallback: [sphinx] }\n' +
        '  stt:\n    - { id: sphinx, type: pocketsphinx, fallback: [a] }\n',
    );
    assert.ok(
      errors.includes(
        "engines.tts.0.fallback names 'sphinx', an engines.stt engine; a fallback must be a TTS engine",
      ),
      errors.join('\n'),
    );
    assert.ok(
      errors.includes('engines.stt.0.fallback is for TTS and chat engines only (STT falls back by priority)'),
      errors.join('\n'),
    );
  });

  it('refuses chains that loop', () => {
    const errors = errorsOf(
      TTS(
        '    - { id: a, type: openai, fallback: [b] }\n' +
          '    - { id: b, type: openai, fallback: [c] }\n' +
          '    - { id: c, type: espeak, fallback: [a] }\n',
      ),
    );
    assert.ok(errors.includes('engines.tts fallback chains loop: a → b → c → a'), errors.join('\n'));
  });
});

describe('chat engine fallback chains and openai.chat_models', () => {
  const CHAT = (entries: string): string => `engines:\n  chat:\n${entries}`;
  const base = 'options: { base_url: "http://127.0.0.1:9/v1" }';

  it('accepts a chat fallback naming chat engines and a chat_models map naming one', () => {
    const result = parseConfig(
      'openai:\n  chat_models:\n    GPT-4o: cloud\n' +
        CHAT(
          `    - { id: cloud, type: openai, ${base}, fallback: [local] }\n    - { id: local, type: openai, ${base} }\n`,
        ),
      {},
    );
    assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
    assert.deepEqual(fallbackChainOf(result.config.engines.chat, 'cloud'), ['cloud', 'local']);
    assert.deepEqual(result.config.openai.chatModels, { 'GPT-4o': 'cloud' });
  });

  it('refuses a chat fallback naming a TTS engine, itself, an unknown id, or looping', () => {
    const errors = errorsOf(
      'engines:\n  tts:\n    - { id: voice, type: espeak }\n  chat:\n' +
        `    - { id: a, type: openai, ${base}, fallback: [voice, a, nope, b] }\n` +
        `    - { id: b, type: openai, ${base}, fallback: [a] }\n`,
    );
    for (const expected of [
      "engines.chat.0.fallback names 'voice', an engines.tts engine; a fallback must be a chat engine",
      "engines.chat.0.fallback names the engine itself ('a')",
      "engines.chat.0.fallback names 'nope', which engines.chat does not define",
      'engines.chat fallback chains loop: a → b → a',
    ]) {
      assert.ok(errors.includes(expected), `${expected}\n--\n${errors.join('\n')}`);
    }
  });

  it('refuses a chat_models name mapped to an engine engines.chat does not define', () => {
    const errors = errorsOf(
      'openai:\n  chat_models:\n    gpt-4o: voice\nengines:\n  tts:\n    - { id: voice, type: espeak }\n',
    );
    assert.ok(
      errors.includes("openai.chat_models.gpt-4o names 'voice', which engines.chat does not define"),
      errors.join('\n'),
    );
  });
});

describe('the TTS route’s default fallback chain', () => {
  it('is tried after the engine’s own chain, each engine once', () => {
    const result = parseConfig(
      'routers:\n  core:\n    tts:\n      fallback: [c, b]\n' +
        TTS(
          '    - { id: a, type: openai, fallback: [b] }\n    - { id: b, type: openai }\n    - { id: c, type: espeak }\n',
        ),
      {},
    );
    assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
    assert.deepEqual(ttsEngineChain(result.config, 'a'), ['a', 'b', 'c']);
    assert.deepEqual(ttsEngineChain(result.config, 'c'), ['c', 'b']);
    assert.deepEqual(ttsEngineChain(result.config, 'gone'), []);
  });

  it('refuses ids that are not TTS engines and ids listed twice', () => {
    const errors = errorsOf(
      'routers:\n  core:\n    tts:\n      fallback: [b, nope, b]\n' + TTS('    - { id: b, type: espeak }\n'),
    );
    assert.ok(
      errors.includes("routers.core.tts.fallback names 'nope', which engines.tts does not define"),
      errors.join('\n'),
    );
    assert.ok(errors.includes("routers.core.tts.fallback lists 'b' twice"), errors.join('\n'));
  });
});
