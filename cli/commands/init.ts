import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { hasCluster, newCluster, saveCluster } from '../../node/cluster.js';
import { UserError } from '../../node/errors.js';
import { loadOrCreateIdentity } from '../../node/identity.js';
import { encodeJoinToken } from '../../node/join-token.js';
import { advertisedSeeds } from '../seeds.js';

export async function init(opts: { dataDir: string; port: number }): Promise<void> {
  if (hasCluster(opts.dataDir)) {
    throw new UserError(`${opts.dataDir} already holds a cluster: use \`shoal start --data-dir ${opts.dataDir}\`, or another --data-dir`);
  }
  const cluster = newCluster();
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(opts.dataDir)).toString();
  saveCluster(opts.dataDir, cluster);
  const token = encodeJoinToken(cluster, advertisedSeeds(opts.dataDir, peerId, opts.port));
  console.log(`Cluster ${cluster.id} created in ${opts.dataDir}; this node is ${peerId}.

Start this node:
    shoal start --data-dir ${opts.dataDir}

To add a node to this cluster, run the following on it:
    shoal start --join ${token}

The token holds the cluster key: share it like a password.`);
}
