import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDestination, isPublicAddress } from './webhook-destination.js';

describe('webhook destinations', () => {
  it('tells public addresses from private, loopback and reserved ones', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])
      assert.ok(isPublicAddress(address), address);
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      'not an address',
    ]) {
      assert.ok(!isPublicAddress(address), address);
    }
  });

  it('refuses loopback unless the host is allowed, and answers the address it checked', async () => {
    await assert.rejects(checkDestination('http://127.0.0.1:8080/x', []), /private, loopback or reserved/);
    await assert.rejects(checkDestination('http://localhost:8080/x', []), /private, loopback or reserved/);
    const allowed = await checkDestination('http://localhost:8080/x', ['localhost']);
    assert.ok(['127.0.0.1', '::1'].includes(allowed.address), allowed.address);
    const literal = await checkDestination('https://93.184.215.14:8443/hook', []);
    assert.equal(literal.address, '93.184.215.14');
    await assert.rejects(checkDestination('ftp://example.com/', []), /http or https/);
    await assert.rejects(checkDestination('http://a:b@example.com/', []), /credentials/);
    await assert.rejects(checkDestination('not a url', []), /not a URL/);
  });
});
