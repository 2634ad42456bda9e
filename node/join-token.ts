import { multiaddr } from '@multiformats/multiaddr';
import { z } from 'zod';
import { clusterKeyFromToken, clusterKeyToToken } from './cluster-key.js';
import { OPERATOR_PUBLIC_KEY, type Cluster } from './cluster.js';
import { FINGERPRINT } from './api/tls.js';
import { UserError } from './errors.js';

/**
 * A join token carries what a new node needs: the cluster id, the cluster key, the
 * genesis operators, the founding nodes and seed addresses. It is a secret, like Docker Swarm's: anyone holding it can join.
 */
const PREFIX = 'SHOAL1-';

const payload = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  key: z.string().min(1),
  ops: z.array(z.string().regex(OPERATOR_PUBLIC_KEY)).min(1).max(64),
  nodes: z.array(z.string().regex(OPERATOR_PUBLIC_KEY)).max(64).default([]),
  seeds: z.array(z.string()).max(32),
  /** The seed's API where it is served over TLS, for `shoal context add --token`. */
  apis: z
    .array(z.strictObject({ api: z.string().regex(/^.+:\d{1,5}$/), fingerprint: z.string().regex(FINGERPRINT) }))
    .max(8)
    .default([]),
});

/** A node's API as a token carries it: HOST:PORT and its certificate's fingerprint. */
export interface TokenApi {
  api: string;
  fingerprint: string;
}

export interface JoinToken {
  cluster: Cluster;
  seeds: string[];
  apis: TokenApi[];
}

export class JoinTokenError extends UserError {
  override readonly name = 'JoinTokenError';
}

export function encodeJoinToken(cluster: Cluster, seeds: readonly string[], apis: readonly TokenApi[] = []): string {
  const json = JSON.stringify({
    v: 1,
    id: cluster.id,
    key: clusterKeyToToken(cluster.psk),
    ops: cluster.operators,
    nodes: cluster.nodes,
    seeds,
    ...(apis.length > 0 ? { apis } : {}),
  });
  return PREFIX + Buffer.from(json).toString('base64url');
}

export function decodeJoinToken(token: string): JoinToken {
  const trimmed = token.trim();
  if (!trimmed.startsWith(PREFIX)) throw new JoinTokenError(`join token must start with ${PREFIX}`);
  let parsed: z.infer<typeof payload>;
  try {
    parsed = payload.parse(JSON.parse(Buffer.from(trimmed.slice(PREFIX.length), 'base64url').toString('utf8')));
  } catch {
    throw new JoinTokenError('join token is damaged: copy it again from `shoal token`');
  }
  for (const seed of parsed.seeds) multiaddr(seed);
  return { cluster: { id: parsed.id, psk: clusterKeyFromToken(parsed.key), operators: parsed.ops, nodes: parsed.nodes }, seeds: parsed.seeds, apis: parsed.apis };
}
