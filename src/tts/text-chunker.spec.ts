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
});
