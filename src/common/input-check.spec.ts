import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { badCharacterIn, findInputProblem } from './input-check.js';

describe('input checks', () => {
  it('find NUL and lone surrogates, and accept paired surrogates', () => {
    assert.match(badCharacterIn('en-us\u0000') ?? '', /NUL/);
    assert.match(badCharacterIn('a\ud800') ?? '', /surrogate/);
    assert.match(badCharacterIn('\udc00a') ?? '', /surrogate/);
    assert.equal(badCharacterIn('emoji 😀 ok'), undefined);
    assert.equal(badCharacterIn('tab\tnew\nline'), undefined);
  });

  it('name the field of a bad string, key or too deep a value', () => {
    assert.equal(findInputProblem({ text: 'hi', voice: 'x\u0000' }, 64)?.field, 'voice');
    assert.equal(findInputProblem({ engines: { tts: [{ id: 'a\u0000' }] } }, 64)?.field, 'engines.tts[0].id');
    assert.match(findInputProblem({ 'k\u0000': 1 }, 64)?.reason ?? '', /key/);
    assert.equal(findInputProblem({ a: [1, 'ok', { b: null }] }, 64), undefined);
  });

  it('bound nesting without recursion, whatever the depth', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const problem = findInputProblem(deep, 64);
    assert.equal(problem?.field, 'body');
    assert.match(problem?.reason ?? '', /deeper than 64/);
    assert.equal(findInputProblem([[[1]]], 3), undefined);
    assert.ok(findInputProblem([[[[1]]]], 3));
  });
});
