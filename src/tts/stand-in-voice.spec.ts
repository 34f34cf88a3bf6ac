import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickStandInVoice } from './stand-in-voice.js';

const voice = (friendlyName: string, engine: string, engineVoiceId: string, language: string) => ({
  friendlyName,
  engine,
  engineVoiceId,
  language,
});

describe('pickStandInVoice', () => {
  const requested = voice('remote:en-us', 'remote', 'en-us', 'en-us');

  it('takes the fallback voice with the same engine voice id or the requested name', () => {
    const espeak = [voice('de', 'espeak', 'de', 'de'), voice('en-us', 'espeak', 'en-us', 'en-us')];
    assert.equal(pickStandInVoice(requested, espeak, 'de')?.friendlyName, 'en-us');
    const named = [voice('alloy-like', 'espeak', 'remote:en-us', 'fr'), voice('x', 'espeak', 'x', 'en-us')];
    assert.equal(pickStandInVoice(requested, named, 'x')?.friendlyName, 'alloy-like');
  });

  it('else one of the same language, the exact tag before the base language', () => {
    const voices = [voice('en', 'espeak', 'en', 'en'), voice('us', 'espeak', 'us', 'en-us')];
    assert.equal(pickStandInVoice(requested, voices, 'en')?.friendlyName, 'us');
    const base = [voice('gb', 'espeak', 'gb', 'en-gb'), voice('de', 'espeak', 'de', 'de')];
    assert.equal(pickStandInVoice(requested, base, 'de')?.friendlyName, 'gb');
  });

  it('else the default voice when that engine has it, else its first voice; null without voices', () => {
    const voices = [voice('fr', 'espeak', 'fr', 'fr'), voice('de', 'espeak', 'de', 'de')];
    assert.equal(pickStandInVoice(requested, voices, 'fr')?.friendlyName, 'fr');
    assert.equal(pickStandInVoice(requested, voices, 'elsewhere')?.friendlyName, 'de');
    assert.equal(pickStandInVoice(requested, [...voices].reverse(), 'elsewhere')?.friendlyName, 'de');
    assert.equal(pickStandInVoice(requested, [], 'fr'), null);
  });
});
