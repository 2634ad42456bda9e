import { createHash } from 'node:crypto';

/**
 * A process replica's own address: one of the 16 million of 127.0.0.0/8, all of which
 * Linux answers on loopback with no set-up. Two replicas of one service on one host (two
 * nodes of a loopback cluster, or two slots) then listen on the same port without a
 * clash, as containers on a bridge do. Drawn from the replica's instance id, which is
 * unique; 127.0.0.x is left to everything else on the host.
 */
export function loopbackAddress(instanceId: string): string {
  const [a = 0, b = 0, c = 0] = createHash('sha256').update(instanceId).digest();
  return `127.${1 + (a % 254)}.${b}.${1 + (c % 254)}`;
}
