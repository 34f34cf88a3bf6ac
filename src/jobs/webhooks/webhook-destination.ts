import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../../common/app-error.js';

/**
 * Addresses no callback may reach unless its host is listed in jobs.webhooks.allowed_hosts.
 * Two lists: a BlockList checks IPv4 addresses against its IPv6 rules too (as IPv4-mapped),
 * so one list with ::ffff:0:0/96 in it would refuse every IPv4 address.
 */
const NON_PUBLIC_V4 = new BlockList();
const NON_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC_V4.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC_V6.addSubnet(net, prefix, 'ipv6');
}

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NON_PUBLIC_V4.check(address, 'ipv4');
  if (family !== 6) return false;
  // An IPv4-mapped IPv6 address reaches the IPv4 address it carries.
  const mapped = IPV4_MAPPED.exec(address)?.[1];
  if (mapped) return isPublicAddress(mapped);
  if (/^::ffff:/i.test(address)) return false; // the hex form of a mapped address
  return !NON_PUBLIC_V6.check(address, 'ipv6');
}

/** A callback destination, checked: where to connect (the address that was checked). */
export interface CheckedDestination {
  url: URL;
  address: string;
  family: 4 | 6;
}

function refused(message: string): AppError {
  return new AppError('CALLBACK_URL_REFUSED', message, {
    fields: [{ field: 'callback_url', errors: [message] }],
  });
}

/**
 * Checks a callback URL: http(s), no credentials, and every address its host resolves to
 * public, unless the host is listed in `allowedHosts`. The caller connects to the returned
 * address (not a second lookup), so a DNS answer that changes in between cannot redirect it.
 */
export async function checkDestination(
  raw: string,
  allowedHosts: readonly string[],
): Promise<CheckedDestination> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused('callback_url is not a URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw refused('callback_url must be http or https.');
  if (url.username || url.password) throw refused('callback_url may not carry credentials.');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const allowed = allowedHosts.some((entry) => entry.toLowerCase() === host);
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw refused(`callback_url's host ${host} does not resolve.`);
    }
  }
  const first = addresses[0];
  if (!first) throw refused(`callback_url's host ${host} does not resolve.`);
  if (!allowed) {
    const inner = addresses.find((entry) => !isPublicAddress(entry.address));
    if (inner) {
      throw refused(
        `callback_url's host ${host} resolves to ${inner.address}, a private, loopback or reserved address (allow it in routers.core.jobs.webhooks.allowed_hosts).`,
      );
    }
  }
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
