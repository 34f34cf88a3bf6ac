import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../common/app-error.js';
import { sanitizeText } from './text-sanitizer.js';

describe('sanitizeText', () => {
  it('strips control characters and unifies line endings', () => {
    assert.equal(sanitizeText('He\u0000llo\u0007\r\nwor\u202Eld\t!', 100), 'Hello\nworld\t!');
  });

  it('refuses text over the limit with TEXT_TOO_LONG, counting after cleaning', () => {
    assert.equal(sanitizeText(`${'a'.repeat(10)}\u0000\u0000`, 10), 'a'.repeat(10));
    assert.throws(
      () => sanitizeText('a'.repeat(11), 10),
      (error: unknown) => error instanceof AppError && error.code === 'TEXT_TOO_LONG',
    );
  });

  it('refuses text that is empty once cleaned', () => {
    assert.throws(
      () => sanitizeText(' \u0001 ', 10),
      (error: unknown) => error instanceof AppError && error.code === 'VALIDATION_FAILED',
    );
  });
});
