import type { AddressInfo } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

type Interfaces = Record<string, NetworkInterfaceInfo[] | undefined>;

function urlOf(address: string, family: string, port: number): string {
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

/**
 * The URLs a listening server answers on. A wildcard address (0.0.0.0, ::) answers on
 * every interface, so it is spelled out: one URL per interface address of the families
 * it covers (:: covers IPv4 too on dual-stack hosts). A specific address is itself.
 */
export function listeningUrls(address: AddressInfo, interfaces: Interfaces = networkInterfaces()): string[] {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  if (!wildcard) return [urlOf(address.address, address.family, address.port)];
  const families = address.address === '::' ? ['IPv4', 'IPv6'] : ['IPv4'];
  const urls = Object.values(interfaces)
    .flatMap((entries) => entries ?? [])
    // Link-local IPv6 addresses need a zone id to be dialled; they are no use in a log line.
    .filter((entry) => families.includes(entry.family) && !entry.address.startsWith('fe80:'))
    .map((entry) => urlOf(entry.address, entry.family, address.port));
  return urls.length > 0 ? urls : [urlOf(address.address, address.family, address.port)];
}
