import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanFileName } from './file-storage.service.js';

describe('cleanFileName', () => {
  it('keeps a plain name as it is', () => {
    assert.equal(cleanFileName('my voice (1).wav'), 'my voice (1).wav');
    assert.equal(cleanFileName('ünï 名前.wav'), 'ünï 名前.wav');
  });

  it('drops folders, control characters and dot names', () => {
    assert.equal(cleanFileName('../../etc/passwd'), 'passwd');
    assert.equal(cleanFileName('C:\\Users\\me\\take.wav'), 'take.wav');
    assert.equal(cleanFileName('a\r\nb\u0000.wav'), 'ab.wav');
    assert.equal(cleanFileName('..'), 'file');
    assert.equal(cleanFileName('dir/'), 'file');
    assert.equal(cleanFileName(undefined, 'output'), 'output');
  });

  it('caps the length at 255 characters', () => {
    assert.equal(cleanFileName('x'.repeat(1000)).length, 255);
  });
});
