import type { Service } from '../manifests/service.js';
import { serviceId } from './port-owners.js';

/** Where a node's service addresses come from: an IPv4 range (first address and size) and what makes them its own. */
export interface AddressPool {
  /** The first address of the range, as a 32-bit number. */
  first: number;
  size: number;
  /** Mixed into each service's hash: a node's own pool on a shared range (loopback), or '' on a range of its own. */
  salt: string;
}

export const ipv4ToNumber = (ip: string): number => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
export const numberToIpv4 = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/** FNV-1a: small, stable, enough to spread names over a range. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Each service's own address on this node, as Kubernetes gives each a ClusterIP, so two
 * services may both use port 80. An address is a hash of the service's name into the
 * pool: the same on every pass and every node. Two that hash alike are settled by name,
 * the later taking the next free address; so a new service can move one that sorts after
 * it and hashed to the same address (a replica's environment then names the old one, DNS
 * the new one within its 5 s TTL). Rare on a loopback pool of four million; on a /20
 * bridge (1,023 addresses) worth knowing.
 */
export function serviceAddresses(services: readonly Service[], pool: AddressPool): Map<string, string> {
  const taken = new Set<number>();
  const out = new Map<string, string>();
  const ordered = services.map(serviceId).sort();
  for (const id of ordered) {
    if (taken.size >= pool.size) break;
    let offset = hash(`${pool.salt} ${id}`) % pool.size;
    while (taken.has(offset)) offset = (offset + 1) % pool.size;
    taken.add(offset);
    out.set(id, numberToIpv4(pool.first + offset));
  }
  return out;
}
