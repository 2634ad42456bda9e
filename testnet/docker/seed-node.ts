import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { newCluster, saveCluster } from '../../node/cluster.js';
import { loadOrCreateIdentity, nodePublicKey } from '../../node/identity.js';
import { encodeJoinToken } from '../../node/join-token.js';
import { loadOrCreateOperatorKey } from '../../node/operator-key.js';
import { P2P_PORT } from './resources.js';

export interface SeedNode {
  cluster: string;
  peerId: string;
  /** What the other nodes pass as --join: the cluster key, the genesis operator, node 1 as seed. */
  token: string;
}

/**
 * `shoal init` for node 1, done on the host into `dataDir` (which the caller copies into
 * node 1's volume): the operator key stays on the host, in `keyFile`, and the token is
 * known before any container runs, since node 1's address is fixed.
 */
export async function initSeedNode(dataDir: string, keyFile: string, ip: string): Promise<SeedNode> {
  const operator = loadOrCreateOperatorKey(keyFile);
  const identity = await loadOrCreateIdentity(dataDir);
  const cluster = newCluster([operator.publicKey], [nodePublicKey(identity)]);
  saveCluster(dataDir, cluster);
  const peerId = peerIdFromPrivateKey(identity).toString();
  return { cluster: cluster.id, peerId, token: encodeJoinToken(cluster, [`/ip4/${ip}/tcp/${P2P_PORT}/p2p/${peerId}`]) };
}
