import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../common/app-error.js';
import { UserConcurrency } from './user-concurrency.js';

describe('UserConcurrency', () => {
  it('refuses a user past the limit without touching other users, and frees slots once', () => {
    const slots = new UserConcurrency();
    const a1 = slots.acquire(1, 2);
    slots.acquire(1, 2);
    assert.throws(
      () => slots.acquire(1, 2),
      (error: unknown) =>
        error instanceof AppError && error.code === 'CONCURRENCY_LIMITED' && error.status === 429,
    );
    slots.acquire(2, 2);
    a1();
    a1();
    assert.equal(slots.count(1), 1);
    slots.acquire(1, 2);
    assert.equal(slots.count(1), 2);
  });
});
