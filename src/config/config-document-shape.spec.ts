import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { documentShapeErrors, MAX_CONFIG_DEPTH } from './config-document-shape.js';

describe('documentShapeErrors', () => {
  it('names every reserved key by its path, inside lists too', () => {
    const document: unknown = JSON.parse(
      '{"a":{"__proto__":{"x":1}},"constructor":1,"engines":{"tts":[{"options":{"prototype":null}}]}}',
    );
    assert.deepEqual(documentShapeErrors(document), [
      "a.__proto__ is not allowed: '__proto__' is a reserved name",
      "constructor is not allowed: 'constructor' is a reserved name",
      "engines.tts.0.options.prototype is not allowed: 'prototype' is a reserved name",
    ]);
    assert.deepEqual(documentShapeErrors({ prototype_dir: 1, list: ['constructor'] }), []);
  });

  it('stops at MAX_CONFIG_DEPTH without recursing, however deep the document', () => {
    let deep: unknown = null;
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { a: deep };
    const errors = documentShapeErrors({ gen: deep });
    assert.equal(errors.length, 1);
    assert.match(errors[0], new RegExp(`^gen(\\.(a|0))+ nests deeper than ${MAX_CONFIG_DEPTH} levels$`));
  });
});
