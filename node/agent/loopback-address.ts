import { createHash } from 'node:crypto';
import type { AddressPool } from '../../protocol/services/service-addresses.js';
import { ipv4ToNumber } from '../../protocol/services/service-addresses.js';

const bytesOf = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Loopback is all of 127.0.0.0/8 on Linux, with no set-up, so process replicas and the
 * node's services each get addresses of their own there: replicas in 127.1-62.x.y, a
 * node's DNS in 127.63.x.y, services in 127.64-127.x.y; 127.0.0.x is left to the host.
 */
const REPLICA_OCTETS = 62;
const DNS_OCTET = 63;

/**
 * A process replica's own address, drawn from its instance id (unique). Two replicas of
 * one service on one host (two nodes of a loopback cluster, or two slots) then listen on
 * the same port without a clash, as containers on a bridge do.
 */
export function loopbackAddress(instanceId: string): string {
  const [a = 0, b = 0, c = 0] = bytesOf(instanceId);
  return `127.${1 + (a % REPLICA_OCTETS)}.${b}.${1 + (c % 254)}`;
}

/** Where a node answers DNS for its process replicas: its own, so nodes that share a host do not clash. */
export function nodeDnsAddress(nodeId: string): string {
  const [a = 0, b = 0] = bytesOf(`dns ${nodeId}`);
  return `127.${DNS_OCTET}.${a}.${1 + (b % 254)}`;
}

/** A node's services' addresses for its process replicas: 127.64.0.0/10, salted with the node. */
export const loopbackServicePool = (nodeId: string): AddressPool => ({ first: ipv4ToNumber('127.64.0.0'), size: 64 * 65_536, salt: nodeId });
