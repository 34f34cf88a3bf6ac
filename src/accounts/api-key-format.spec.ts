import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_KEY_PREFIX, generateApiKey, hashApiKey, parseApiKey } from './api-key-format.js';

describe('API key format', () => {
  it('issues prefixed keys whose id parses back and whose hash is SHA-256 of the key', () => {
    const key = generateApiKey();
    assert.ok(key.token.startsWith(API_KEY_PREFIX));
    assert.equal(key.token.length, 4 + 12 + 1 + 86 + 6);
    assert.deepEqual(parseApiKey(key.token), { keyId: key.keyId });
    assert.deepEqual(key.hash, hashApiKey(key.token));
    assert.equal(key.hash.length, 32);
  });

  it('carries 512 bits of randomness: no two secrets share a prefix', () => {
    const secrets = Array.from({ length: 200 }, () => generateApiKey().token.slice(17, 17 + 86));
    assert.equal(new Set(secrets.map((s) => s.slice(0, 12))).size, secrets.length);
    // 62^86 > 2^512: the secret field is wide enough for 64 random bytes.
    assert.ok(62n ** 86n > 2n ** 512n);
  });

  it('refuses a key with one character changed (checksum) and malformed keys', () => {
    const { token } = generateApiKey();
    const i = 30;
    const flipped = token.slice(0, i) + (token[i] === 'a' ? 'b' : 'a') + token.slice(i + 1);
    assert.equal(parseApiKey(flipped), null);
    for (const bad of [
      '',
      'sgk_',
      'Bearer x',
      `${token}x`,
      token.replace('sgk_', 'sgx_'),
      token.slice(0, -1),
    ]) {
      assert.equal(parseApiKey(bad), null, bad);
    }
  });
});
