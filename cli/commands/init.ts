import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { hasCluster, newCluster, saveCluster } from '../../node/cluster.js';
import { UserError } from '../../node/errors.js';
import { loadOrCreateIdentity, nodePublicKey } from '../../node/identity.js';
import { loadOrCreateOperatorKey } from '../../node/operator-key.js';
import { encodeJoinToken } from '../../node/join-token.js';
import { advertisedSeeds } from '../seeds.js';

export async function init(opts: { dataDir: string; port: number; key: string }): Promise<void> {
  if (hasCluster(opts.dataDir)) {
    throw new UserError(`${opts.dataDir} already holds a cluster: use \`shoal start --data-dir ${opts.dataDir}\`, or another --data-dir`);
  }
  const operator = loadOrCreateOperatorKey(opts.key);
  const identity = await loadOrCreateIdentity(opts.dataDir);
  const peerId = peerIdFromPrivateKey(identity).toString();
  // This node founds the cluster: it admits the nodes that join.
  const cluster = newCluster([operator.publicKey], [nodePublicKey(identity)]);
  saveCluster(opts.dataDir, cluster);
  const token = encodeJoinToken(cluster, advertisedSeeds(opts.dataDir, peerId, opts.port));
  console.log(`Cluster ${cluster.id} created in ${opts.dataDir}; this node is ${peerId}.
Writes to it are signed with the operator key ${operator.path}.

Start this node:
    shoal start --data-dir ${opts.dataDir}

To add a node to this cluster, run the following on it:
    shoal start --join ${token}

The token holds the cluster key: share it like a password.`);
}
