import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { clusterKeyFromToken, clusterKeyToToken, generateClusterKey } from './cluster-key.js';
import { dataPaths, readJsonFile, writeJsonFile } from './data-dir.js';
import { UserError } from './errors.js';
import { loadOrCreateIdentity, nodePublicKey } from './identity.js';

/**
 * What every member of one cluster shares: its id, the private-network key, the
 * genesis operators (Ed25519 public keys) whose signed deltas every node accepts, and
 * the founding nodes (the node `shoal init` made), which admit the nodes that join.
 */
export interface Cluster {
  id: string;
  /** The swarm key file bytes (go-ipfs swarm.key text). */
  psk: Uint8Array;
  operators: string[];
  nodes: string[];
}

export const OPERATOR_PUBLIC_KEY = /^[0-9a-f]{64}$/;

const clusterFile = z.object({
  id: z.string().regex(/^[0-9a-f]{16,64}$/),
  key: z.string().min(1),
  operators: z.array(z.string().regex(OPERATOR_PUBLIC_KEY)).min(1).max(64),
  nodes: z.array(z.string().regex(OPERATOR_PUBLIC_KEY)).max(64).default([]),
});

export class NoClusterError extends UserError {
  override readonly name = 'NoClusterError';
  constructor(readonly dataDir: string) {
    super(`no cluster in ${dataDir}: run \`shoal init --data-dir ${dataDir}\`, or \`shoal start --join TOKEN\``);
  }
}

export function newCluster(operators: string[], nodes: string[] = []): Cluster {
  return { id: randomBytes(8).toString('hex'), psk: generateClusterKey(), operators, nodes };
}

/** A new cluster founded by the node of `dataDir` (its identity is made if need be), saved there: what `shoal init` does. */
export async function foundCluster(dataDir: string, operators: string[]): Promise<Cluster> {
  const cluster = newCluster(operators, [nodePublicKey(await loadOrCreateIdentity(dataDir))]);
  saveCluster(dataDir, cluster);
  return cluster;
}

export function saveCluster(dataDir: string, cluster: Cluster): void {
  writeJsonFile(dataPaths(dataDir).cluster, { id: cluster.id, key: clusterKeyToToken(cluster.psk), operators: cluster.operators, nodes: cluster.nodes });
}

export function loadCluster(dataDir: string): Cluster {
  const { cluster } = dataPaths(dataDir);
  if (!existsSync(cluster)) throw new NoClusterError(dataDir);
  const parsed = clusterFile.parse(readJsonFile(cluster));
  return { id: parsed.id, psk: clusterKeyFromToken(parsed.key), operators: parsed.operators, nodes: parsed.nodes };
}

export function hasCluster(dataDir: string): boolean {
  return existsSync(dataPaths(dataDir).cluster);
}
