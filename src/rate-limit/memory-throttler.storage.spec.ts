import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { MemoryThrottlerStorage } from './memory-throttler.storage.js';

describe('MemoryThrottlerStorage', () => {
  let storage: MemoryThrottlerStorage;

  beforeEach(() => {
    mock.timers.enable({ apis: ['Date', 'setInterval'], now: 1_000_000 });
    storage = new MemoryThrottlerStorage();
  });
  afterEach(() => {
    storage.shutdown();
    mock.timers.reset();
  });

  const hit = (key = 'minute:user:1', limit = 3) => storage.increment(key, 60_000, limit, 60_000, 'minute');

  it('counts hits in a sliding window, each expiring its ttl after it was counted', async () => {
    assert.equal((await hit()).totalHits, 1);
    mock.timers.tick(30_000);
    assert.equal((await hit()).totalHits, 2);
    mock.timers.tick(30_000); // the first hit has expired
    const third = await hit();
    assert.equal(third.totalHits, 2);
    assert.equal(third.isBlocked, false);
    assert.equal(third.timeToExpire, 60, 'the fixed window for the reset headers started again');
  });

  it('blocks beyond the limit for the block duration, then counts afresh', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await hit()).isBlocked, false);
    const refused = await hit();
    assert.equal(refused.isBlocked, true);
    assert.equal(refused.totalHits, 4);
    assert.equal(refused.timeToBlockExpire, 60);
    mock.timers.tick(59_000);
    assert.equal((await hit()).isBlocked, true, 'still blocked, and refused hits are not counted');
    mock.timers.tick(1_000);
    const after = await hit();
    assert.equal(after.isBlocked, false);
    assert.equal(after.totalHits, 1);
  });

  it('keeps keys apart, peeks without counting, and forgets a key on reset', async () => {
    await hit('a');
    await hit('a');
    await hit('b');
    assert.deepEqual(storage.peek('a'), { hits: 2, resetSeconds: 60 });
    assert.deepEqual(storage.peek('a'), { hits: 2, resetSeconds: 60 });
    storage.reset('a');
    assert.deepEqual(storage.peek('a'), { hits: 0, resetSeconds: 0 });
    assert.equal(storage.peek('b').hits, 1);
  });

  it('stays exact over many hits (the log is trimmed from the front)', async () => {
    for (let i = 0; i < 5000; i++) {
      await storage.increment('busy', 1_000, 1_000_000, 1_000, 'burst');
      mock.timers.tick(1);
    }
    // 5,000 hits 1 ms apart with a 1 s ttl: the last 1,000 are live.
    assert.equal(storage.peek('busy').hits, 999);
  });

  it('sweeps keys with nothing live', async () => {
    await hit('idle');
    mock.timers.tick(61_000);
    storage.sweep();
    assert.deepEqual(storage.peek('idle'), { hits: 0, resetSeconds: 0 });
  });
});
