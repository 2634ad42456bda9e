import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { loadCluster } from '../../node/cluster.js';
import { loadOrCreateIdentity } from '../../node/identity.js';
import { encodeJoinToken } from '../../node/join-token.js';
import { advertisedApis, advertisedSeeds } from '../seeds.js';

export async function token(opts: { dataDir: string; port: number }): Promise<void> {
  const cluster = loadCluster(opts.dataDir);
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(opts.dataDir)).toString();
  console.log(encodeJoinToken(cluster, advertisedSeeds(opts.dataDir, peerId, opts.port), advertisedApis(opts.dataDir)));
}
