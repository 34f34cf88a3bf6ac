import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKey } from '../accounts/api-key-format.js';
import { LogRedactor } from './log-redactor.js';

const redactor = () => new LogRedactor();

describe('LogRedactor', () => {
  it('removes configured secrets and bearer tokens from strings, objects and errors', () => {
    const redactor = new LogRedactor();
    redactor.setSecrets(['hunter2', 'sk-live-123456']);
    assert.equal(redactor.redactString('password hunter2 here'), 'password [REDACTED] here');
    assert.equal(
      redactor.redactString('Authorization: Bearer abc.def-ghi'),
      'Authorization: Bearer [REDACTED]',
    );
    assert.deepEqual(redactor.redactValue({ a: ['x sk-live-123456 y'], n: 3 }), {
      a: ['x [REDACTED] y'],
      n: 3,
    });
    const error = redactor.redactValue(new Error('failed with hunter2')) as {
      message: string;
      stack: string;
    };
    assert.equal(error.message, 'failed with [REDACTED]');
    assert.ok(!error.stack.includes('hunter2'));
  });

  it('removes the secret of an API key wherever it appears, keeping its public id', () => {
    const { token, keyId } = generateApiKey();
    const out = redactor().redactString(`key=${token}; again ${token}`);
    assert.ok(!out.includes(token.slice(17)), out);
    assert.equal(out, `key=sgk_${keyId}_[REDACTED]; again sgk_${keyId}_[REDACTED]`);
  });

  it('follows a new secret set', () => {
    const redactor = new LogRedactor();
    redactor.setSecrets(['old-secret']);
    redactor.setSecrets(['new-secret']);
    assert.equal(redactor.redactString('old-secret new-secret'), 'old-secret [REDACTED]');
  });
});
