import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byteRangeOf } from './byte-range.js';

describe('byteRangeOf', () => {
  it('serves a first-last range, clipping an end past the file', () => {
    assert.deepEqual(byteRangeOf('bytes=0-99', 1000), { kind: 'partial', start: 0, end: 99 });
    assert.deepEqual(byteRangeOf('bytes=900-5000', 1000), { kind: 'partial', start: 900, end: 999 });
  });

  it('serves open-ended and suffix ranges', () => {
    assert.deepEqual(byteRangeOf('bytes=990-', 1000), { kind: 'partial', start: 990, end: 999 });
    assert.deepEqual(byteRangeOf('bytes=-10', 1000), { kind: 'partial', start: 990, end: 999 });
    assert.deepEqual(byteRangeOf('bytes=-5000', 1000), { kind: 'partial', start: 0, end: 999 });
  });

  it('refuses ranges no byte of the file satisfies', () => {
    assert.deepEqual(byteRangeOf('bytes=1000-', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(byteRangeOf('bytes=5000-6000', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(byteRangeOf('bytes=-0', 1000), { kind: 'unsatisfiable' });
    assert.deepEqual(byteRangeOf('bytes=0-', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(byteRangeOf('bytes=99999999999999999999-', 10), { kind: 'unsatisfiable' });
  });

  it('ignores what it cannot serve as one range: the whole file', () => {
    for (const header of [undefined, '', 'items=0-1', 'bytes=5-1', 'bytes=0-1,4-5', 'bytes=-', 'bytes=a-b']) {
      assert.deepEqual(byteRangeOf(header, 1000), { kind: 'full' }, String(header));
    }
  });
});
