import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeXml } from './espeak-params.js';
import { alignWords, markWords } from './word-marks.js';

describe('markWords', () => {
  it('wraps each word of plain text in marks, escaping the rest', () => {
    const { input, words } = markWords('Tom & Jerry <3.', false, escapeXml);
    assert.deepEqual(words, ['Tom', 'Jerry', '3']);
    assert.equal(
      input,
      '<mark name="__sgw0s"/>Tom<mark name="__sgw0e"/> &amp; <mark name="__sgw1s"/>Jerry<mark name="__sgw1e"/> ' +
        '&lt;<mark name="__sgw2s"/>3<mark name="__sgw2e"/>.',
    );
  });

  it('keeps numbers, abbreviations and combining marks whole', () => {
    assert.deepEqual(markWords('It costs 3.5 dollars, e.g. "now" (नमस्ते)!', false, escapeXml).words, [
      'It',
      'costs',
      '3.5',
      'dollars',
      'e.g',
      'now',
      'नमस्ते',
    ]);
  });

  it('marks only the text of SSML, leaving tags, comments and entities as written', () => {
    const ssml =
      '<speak><!-- a b --><prosody rate="slow">Hi &amp; bye</prosody><break time="1s"/>&#72;ey</speak>';
    const { input, words } = markWords(ssml, true, escapeXml);
    assert.deepEqual(words, ['Hi', 'bye', 'Hey']);
    assert.equal(
      input,
      '<speak><!-- a b --><prosody rate="slow"><mark name="__sgw0s"/>Hi<mark name="__sgw0e"/> &amp; ' +
        '<mark name="__sgw1s"/>bye<mark name="__sgw1e"/></prosody><break time="1s"/>' +
        '<mark name="__sgw2s"/>&#72;ey<mark name="__sgw2e"/></speak>',
    );
  });
});

describe('alignWords', () => {
  it('uses the marks, and espeak word events where a start mark was dropped or early', () => {
    // As espeak reports "Hello world. (This) is": the start mark of "This" is lost after the
    // full stop; the one of "is" fires at the start of the pause before it.
    const marks = new Map([
      ['__sgw0s', 0],
      ['__sgw0e', 296],
      ['__sgw1s', 296],
      ['__sgw1e', 750],
      ['__sgw2e', 1244],
      ['__sgw3s', 1300],
      ['__sgw3e', 1600],
    ]);
    const timings = alignWords(
      ['Hello', 'world', 'This', 'is'],
      { marks, wordStartsMs: [0, 296, 1051, 1400] },
      1.7,
    );
    assert.deepEqual(timings, [
      { word: 'Hello', start: 0, end: 0.296 },
      { word: 'world', start: 0.296, end: 0.75 },
      { word: 'This', start: 1.051, end: 1.244 },
      { word: 'is', start: 1.4, end: 1.6 },
    ]);
  });

  it('stays monotonic and inside the clip when marks are missing', () => {
    const timings = alignWords(['a', 'b', 'c'], { marks: new Map([['__sgw1s', 500]]), wordStartsMs: [] }, 1);
    assert.deepEqual(
      timings.map(({ start, end }) => [start, end]),
      [
        [0, 0.5],
        [0.5, 1],
        [1, 1],
      ],
    );
  });
});
