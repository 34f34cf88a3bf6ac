import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account } from '../../common/request-context.js';
import { VerifiedKeyCache } from './verified-key-cache.js';

const account = (keyId: string, userId = 1): Account => ({
  userId,
  keyId,
  plan: 'free',
  isAdmin: false,
  scopes: ['tts'],
});

/** A cache of `ttlSeconds` on a clock the test moves. */
function cacheOn(ttlSeconds: number) {
  const clock = { now: 1_000_000 };
  const cache = new VerifiedKeyCache(
    () => ttlSeconds * 1000,
    () => clock.now,
  );
  return { cache, clock };
}

describe('VerifiedKeyCache', () => {
  it('without any notice, stops answering a key once key_cache_seconds have passed', () => {
    const { cache, clock } = cacheOn(30);
    cache.set('h1', account('k1'), null, cache.version());
    clock.now += 29_999;
    assert.equal(cache.get('h1')?.keyId, 'k1');
    clock.now += 1;
    assert.equal(cache.get('h1'), undefined, 'the bound holds: the database is asked again');
  });

  it('never outlives the key’s own expiry', () => {
    const { cache, clock } = cacheOn(30);
    cache.set('h1', account('k1'), clock.now + 5000, cache.version());
    clock.now += 5000;
    assert.equal(cache.get('h1'), undefined);
  });

  it('forgets one key, or every key of a user, at once', () => {
    const { cache } = cacheOn(30);
    cache.set('h1', account('k1', 1), null, cache.version());
    cache.set('h2', account('k2', 1), null, cache.version());
    cache.set('h3', account('k3', 2), null, cache.version());
    cache.forget({ keyId: 'k3' });
    assert.equal(cache.get('h3'), undefined);
    assert.ok(cache.get('h1'));
    cache.forget({ userId: 1 });
    assert.equal(cache.get('h1'), undefined);
    assert.equal(cache.get('h2'), undefined);
  });

  it('does not remember a key read before a change it may predate', () => {
    const { cache } = cacheOn(30);
    const version = cache.version();
    cache.forget({ keyId: 'k1' }); // a revocation lands while the key was being read
    cache.set('h1', account('k1'), null, version);
    assert.equal(cache.get('h1'), undefined);
  });

  it('remembers nothing with key_cache_seconds 0', () => {
    const { cache } = cacheOn(0);
    cache.set('h1', account('k1'), null, cache.version());
    assert.equal(cache.get('h1'), undefined);
  });
});
