import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature.js';

describe('Standard Webhooks signatures', () => {
  it('matches the specification’s example', () => {
    // From the Standard Webhooks specification (standard-webhooks/spec.md, "Verifying").
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    assert.equal(
      signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('verifies its own signatures and nothing else', () => {
    const secret = newWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const signature = signWebhook(secret, 'msg_1', 1700000000, '{}');
    assert.ok(verifyWebhook(secret, 'msg_1', 1700000000, '{}', `v1,bogus ${signature}`));
    assert.ok(!verifyWebhook(secret, 'msg_1', 1700000001, '{}', signature));
    assert.ok(!verifyWebhook(newWebhookSecret(), 'msg_1', 1700000000, '{}', signature));
  });
});
