import { ed25519 } from '@noble/curves/ed25519.js';
import { defaultReplicaOptions, operatorPublicKey, signDelta, type Delta, type Op, type ReplicaOptions } from '../../../crdt/index.js';
import { NODE_WRITES } from '../../../protocol/node-writes.js';

/** Fixed operator keys, so test deltas (and their ids) are the same on every run. */
export const operatorSecret = (n: number): Uint8Array => ed25519.utils.randomSecretKey(new Uint8Array(32).fill(n + 1));

export const CLUSTER = 'c0ffee0000000001';

export interface Author {
  secret: Uint8Array;
  publicKey: string;
  seq: number;
  /** The author's last delta: each write names it, so an author's deltas form a chain. */
  last?: string;
}

export const author = (n: number): Author => {
  const secret = operatorSecret(n);
  return { secret, publicKey: operatorPublicKey(secret), seq: 0 };
};

export function write(by: Author, wallMs: number, ops: Op[], counter = 0): Delta {
  by.seq += 1;
  const prev = by.last === undefined ? {} : { prev: [by.last] };
  const delta = signDelta({ v: 1, cluster: CLUSTER, author: by.publicKey, seq: by.seq, ...prev, hlc: { wallMs, counter }, ops }, by.secret);
  by.last = delta.id;
  return delta;
}

/** Replica options with the scheduler's node writes, as a node runs it (protocol/node-writes.ts). */
export const withNodeWrites: ReplicaOptions = { ...defaultReplicaOptions(), nodeWrites: NODE_WRITES };
