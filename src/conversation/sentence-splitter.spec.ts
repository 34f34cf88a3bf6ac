import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SentenceSplitter, splitSentences } from './sentence-splitter.js';

describe('SentenceSplitter', () => {
  it('answers a sentence as soon as the space after its full stop arrives', () => {
    const splitter = new SentenceSplitter();
    assert.deepEqual(splitter.push('It is three'), []);
    assert.deepEqual(splitter.push(' o’clock.'), []);
    assert.deepEqual(splitter.push(' Anything'), ['It is three o’clock.']);
    assert.deepEqual(splitter.push(' else? Y'), ['Anything else?']);
    assert.equal(splitter.flush(), 'Y');
    assert.equal(splitter.flush(), undefined);
  });

  it('does not end a sentence inside a number, an abbreviation or after an initial', () => {
    assert.deepEqual(splitSentences('Pi is 3.14 roughly. Ask Dr. Smith, e.g. today. J. Doe agrees.'), [
      'Pi is 3.14 roughly.',
      'Ask Dr. Smith, e.g. today.',
      'J. Doe agrees.',
    ]);
  });

  it('splits at exclamation marks, ellipses, closing quotes, line breaks and CJK full stops', () => {
    assert.deepEqual(splitSentences('Wow! He said "stop." Then… nothing\nNew line。次です'), [
      'Wow!',
      'He said "stop."',
      'Then…',
      'nothing',
      'New line。',
      '次です',
    ]);
  });

  it('gives the same sentences whatever the deltas look like', () => {
    const text = 'The kitchen light is on. It was off before! Shall I dim it? Fine.';
    const whole = splitSentences(text);
    for (const size of [1, 2, 3, 7]) {
      const splitter = new SentenceSplitter();
      const got: string[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...splitter.push(text.slice(i, i + size)));
      const rest = splitter.flush();
      if (rest) got.push(rest);
      assert.deepEqual(got, whole, `deltas of ${size}`);
    }
  });

  it('cuts a sentence that runs past maxChars at its last clause mark, else at a space', () => {
    const splitter = new SentenceSplitter({ maxChars: 30 });
    assert.deepEqual(splitter.push('one two three, four five six seven eight'), ['one two three,']);
    assert.deepEqual(splitter.push(' nine ten eleven twelve'), ['four five six seven eight nine']);
    assert.equal(splitter.flush(), 'ten eleven twelve');
  });

  it('never answers sentences with nothing to speak', () => {
    assert.deepEqual(splitSentences('  \n\n . !  '), []);
    assert.deepEqual(splitSentences('Yes. ... OK'), ['Yes.', 'OK']);
    assert.deepEqual(splitSentences(''), []);
  });
});
