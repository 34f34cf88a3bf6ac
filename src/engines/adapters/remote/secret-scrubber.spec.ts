import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubSecret, secretVariants } from './secret-scrubber.js';

const KEY = 'sk-Mixed/Case+Key=42';

describe('scrubSecret', () => {
  it('removes the key as sent, in upper and lower case, base64, base64url and percent-encoded', () => {
    const forms = [
      KEY,
      KEY.toUpperCase(),
      KEY.toLowerCase(),
      Buffer.from(KEY).toString('base64'),
      Buffer.from(KEY).toString('base64url'),
      encodeURIComponent(KEY),
      encodeURIComponent(KEY).toLowerCase(),
    ];
    const text = forms.map((form, i) => `form${i}=${form}`).join(' ');
    const scrubbed = scrubSecret(text, KEY);
    for (const form of forms) assert.ok(!scrubbed.includes(form), `${form} left in ${scrubbed}`);
    assert.match(scrubbed, /form0=\[redacted\]/);
  });

  it('leaves text alone without a key', () => {
    assert.equal(scrubSecret('nothing here', undefined), 'nothing here');
    assert.ok(secretVariants(KEY).includes(KEY));
  });
});
