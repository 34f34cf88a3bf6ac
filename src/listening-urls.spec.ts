import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { listeningUrls } from './listening-urls.js';

function nic(address: string, family: 'IPv4' | 'IPv6'): NetworkInterfaceInfo {
  return family === 'IPv4'
    ? { address, family, netmask: '255.0.0.0', mac: '00:00:00:00:00:00', internal: false, cidr: null }
    : {
        address,
        family,
        netmask: 'ffff::',
        mac: '00:00:00:00:00:00',
        internal: false,
        cidr: null,
        scopeid: 0,
      };
}

const INTERFACES = {
  lo: [nic('127.0.0.1', 'IPv4'), nic('::1', 'IPv6')],
  eth0: [nic('10.1.2.3', 'IPv4'), nic('fe80::1', 'IPv6'), nic('2001:db8::5', 'IPv6')],
};

describe('listeningUrls', () => {
  it('names a specific address as it is', () => {
    assert.deepEqual(listeningUrls({ address: '127.0.0.1', family: 'IPv4', port: 8004 }, INTERFACES), [
      'http://127.0.0.1:8004',
    ]);
    assert.deepEqual(listeningUrls({ address: '::1', family: 'IPv6', port: 80 }, INTERFACES), [
      'http://[::1]:80',
    ]);
  });

  it('spells 0.0.0.0 out as every IPv4 interface address', () => {
    assert.deepEqual(listeningUrls({ address: '0.0.0.0', family: 'IPv4', port: 8004 }, INTERFACES), [
      'http://127.0.0.1:8004',
      'http://10.1.2.3:8004',
    ]);
  });

  it('spells :: out as every IPv4 and IPv6 address except link-local ones', () => {
    assert.deepEqual(listeningUrls({ address: '::', family: 'IPv6', port: 8004 }, INTERFACES), [
      'http://127.0.0.1:8004',
      'http://[::1]:8004',
      'http://10.1.2.3:8004',
      'http://[2001:db8::5]:8004',
    ]);
  });

  it('falls back to the wildcard itself on a host without interfaces', () => {
    assert.deepEqual(listeningUrls({ address: '0.0.0.0', family: 'IPv4', port: 1 }, {}), [
      'http://0.0.0.0:1',
    ]);
  });
});
