import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EspeakVoiceCatalog, type EspeakVoiceInfo } from './espeak-voice-catalog.js';

const voice = (identifier: string, name: string, ...languages: Array<[string, number]>): EspeakVoiceInfo => ({
  identifier,
  name,
  languages: languages.map(([language, priority]) => ({ name: language, priority })),
  gender: 1,
});

// A slice of espeak-ng's real list, in its order.
const catalog = new EspeakVoiceCatalog([
  voice('sit/cmn', 'Chinese (Mandarin, latin as English)', ['cmn', 5], ['zh-cmn', 5], ['zh', 5]),
  voice('gmw/en', 'English (Great Britain)', ['en-gb', 2], ['en', 2]),
  voice('gmw/en-US', 'English (America)', ['en-us', 2], ['en', 3]),
  voice('roa/fr-BE', 'French (Belgium)', ['fr-be', 5], ['fr', 8]),
  voice('roa/fr', 'French (France)', ['fr-fr', 5], ['fr', 5]),
  voice('sit/yue-Latn-jyutping', 'Chinese (Cantonese, latin as Jyutping)', ['yue', 5], ['zh', 8]),
  voice('sit/yue', 'Chinese (Cantonese)', ['yue', 5], ['zh', 8]),
]);

describe('EspeakVoiceCatalog', () => {
  it('ids voices by their own language, disambiguating shared ones by file name', () => {
    assert.deepEqual(
      catalog.list().map((v) => v.id),
      ['cmn', 'en-gb', 'en-us', 'fr-be', 'fr-fr', 'yue-latn-jyutping', 'yue'],
    );
    assert.deepEqual(catalog.list()[1], {
      id: 'en-gb',
      name: 'English (Great Britain)',
      language: 'en-gb',
      gender: 'male',
      description: 'espeak-ng gmw/en',
    });
  });

  it('resolves ids, espeak identifiers and languages (best priority first)', () => {
    const identifier = (name: string) => catalog.resolve(name)?.identifier;
    assert.equal(identifier('EN-US'), 'gmw/en-US');
    assert.equal(identifier('gmw/en'), 'gmw/en');
    assert.equal(identifier('en'), 'gmw/en');
    assert.equal(identifier('fr'), 'roa/fr');
    assert.equal(identifier('zh'), 'sit/cmn');
    assert.equal(identifier('yue'), 'sit/yue');
    assert.equal(identifier('klingon'), undefined);
  });
});
