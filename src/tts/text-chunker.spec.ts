import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitIntoChunks } from './text-chunker.js';

describe('splitIntoChunks', () => {
  it('keeps short text whole', () => {
    assert.deepEqual(splitIntoChunks('Hello world.', 200), ['Hello world.']);
  });

  it('cuts at sentence boundaries and packs sentences up to the limit', () => {
    const text = 'One two three. Four five six! Seven eight nine? Ten.';
    assert.deepEqual(splitIntoChunks(text, 30), ['One two three. Four five six!', 'Seven eight nine? Ten.']);
  });

  it('falls back to clauses, then words, then a hard cut', () => {
    const clauses = 'alpha beta gamma, delta epsilon zeta; eta theta iota';
    assert.deepEqual(splitIntoChunks(clauses, 20), [
      'alpha beta gamma,',
      'delta epsilon zeta;',
      'eta theta iota',
    ]);
    assert.deepEqual(splitIntoChunks('aaaa bbbb cccc dddd', 9), ['aaaa bbbb', 'cccc dddd']);
    assert.deepEqual(splitIntoChunks('x'.repeat(25), 10), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  it('never exceeds the limit and loses no words', () => {
    const words = Array.from(
      { length: 900 },
      (_, i) => `word${i}${i % 11 === 0 ? '.' : i % 7 === 0 ? ',' : ''}`,
    );
    const text = words.join(' ');
    const chunks = splitIntoChunks(text, 120);
    assert.ok(chunks.every((chunk) => chunk.length <= 120));
    assert.deepEqual(chunks.join(' ').split(' '), words);
  });

  it('treats blank lines as paragraph breaks', () => {
    assert.deepEqual(splitIntoChunks('First part\n\nSecond part', 200), ['First part', 'Second part']);
  });

  it('cuts a smaller first chunk for streams, at the strongest boundary that fits', () => {
    const sentence =
      'The quick brown fox jumps over the lazy dog, and then it runs far away into the forest.';
    const text = Array.from({ length: 6 }, () => sentence).join(' ');
    const plain = splitIntoChunks(text, 200);
    const streamed = splitIntoChunks(text, 200, 60);
    assert.equal(streamed[0], 'The quick brown fox jumps over the lazy dog,');
    assert.ok(streamed[0].length < streamed[1].length, 'the first chunk is the smallest');
    assert.ok(streamed.every((chunk) => chunk.length <= 200));
    // Nothing is lost or reordered: the words are the same as without the early cut.
    assert.equal(streamed.join(' '), plain.join(' '));
    assert.deepEqual(streamed.slice(2), plain.slice(1));
  });

  it('leaves a first chunk that already fits the first limit alone', () => {
    assert.deepEqual(splitIntoChunks('Hello world. Again.', 200, 60), ['Hello world. Again.']);
    assert.deepEqual(splitIntoChunks('Hello world.', 200, 0), ['Hello world.']);
  });
});
