import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptOrGenerateRequestId } from './request-context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('acceptOrGenerateRequestId', () => {
  it('keeps a short, log-safe client id', () => {
    assert.equal(acceptOrGenerateRequestId('abc-123_x.y:z'), 'abc-123_x.y:z');
  });

  it('replaces missing, oversized or unsafe ids with a fresh UUID', () => {
    for (const bad of [undefined, '', 'x'.repeat(129), 'two words', 'line\nbreak', '<script>', ['a']]) {
      assert.match(acceptOrGenerateRequestId(bad), UUID, String(bad));
    }
  });
});
