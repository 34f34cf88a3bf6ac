import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account } from '../../common/request-context.js';
import { hasScope } from './api-key.guard.js';

const account = (scopes: Account['scopes'], isAdmin = false): Account => ({
  userId: 1,
  keyId: 'k',
  plan: 'free',
  isAdmin,
  scopes,
});

describe('hasScope', () => {
  it('grants a key its own scopes only', () => {
    assert.equal(hasScope(account(['tts']), 'tts'), true);
    assert.equal(hasScope(account(['tts']), 'ops'), false);
    assert.equal(hasScope(account(['ops']), 'ops'), true);
  });

  it('gives an admin key (admin user with the admin scope) ops implicitly, and nothing else', () => {
    assert.equal(hasScope(account(['admin'], true), 'ops'), true);
    assert.equal(hasScope(account(['admin'], true), 'stt'), false);
    assert.equal(hasScope(account(['tts'], true), 'ops'), false, 'an admin user’s key without admin scope');
  });
});
