import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyLimiter } from './concurrency-limiter.js';

describe('ConcurrencyLimiter', () => {
  it('runs at most `max` at once, the rest in arrival order', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const order: number[] = [];
    const releases = await Promise.all([limiter.acquire(), limiter.acquire()]);
    const waiting = [3, 4, 5].map((n) =>
      limiter.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    await Promise.resolve();
    assert.equal(limiter.active, 2);
    assert.equal(limiter.queued, 3);
    releases[0]();
    releases[0](); // a second release of the same slot changes nothing
    const third = await waiting[0];
    assert.deepEqual(order, [3]);
    assert.equal(limiter.active, 2);
    assert.equal(limiter.queued, 2);
    releases[1]();
    third();
    const [fourth, fifth] = await Promise.all([waiting[1], waiting[2]]);
    assert.deepEqual(order, [3, 4, 5]);
    fourth();
    fifth();
    assert.equal(limiter.active, 0);
  });

  it('drops a waiter whose request is aborted', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const release = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    assert.equal(limiter.queued, 1);
    controller.abort(new Error('client gone'));
    await assert.rejects(waiting, /client gone/);
    assert.equal(limiter.queued, 0);
    release();
    assert.equal(limiter.active, 0);
    await assert.rejects(limiter.acquire(controller.signal), /client gone/);
  });

  it('refuses a nonsensical limit', () => {
    assert.throws(() => new ConcurrencyLimiter(0), RangeError);
  });
});
