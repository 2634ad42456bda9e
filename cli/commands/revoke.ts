import { peerIdFromString } from '@libp2p/peer-id';
import { bytesToHex } from '@noble/hashes/utils.js';
import { nodeKey, operatorKey, revocationKey, type Op } from '../../crdt/index.js';
import { UserError } from '../../node/errors.js';
import { loadOperatorKey } from '../../node/operator-key.js';
import { authorHeads } from '../author-heads.js';
import { ApiClient, writeOps, type ApiTarget } from '../client.js';
import { resolveNode } from './node-flags.js';

/** A revocation pins the key's heads: what else the key signs is refused everywhere. */
const revocationOp = async (client: ApiClient, publicKey: string): Promise<Op> => ({
  key: revocationKey(publicKey),
  set: { publicKey, heads: await authorHeads(client, publicKey) },
});

/** `shoal operator remove KEY`: the grant goes, and the key's later writes never count anywhere. */
export async function removeOperator(opts: { publicKey: string; api: ApiTarget; key: string }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const signer = loadOperatorKey(opts.key);
  if (signer.publicKey === opts.publicKey) throw new UserError('an operator cannot remove its own key: ask another operator');
  await writeOps(client, signer, [{ key: operatorKey(opts.publicKey), delete: true }, await revocationOp(client, opts.publicKey)]);
  console.log(`operator ${opts.publicKey.slice(0, 16)}… removed; what it wrote before stays, and nothing it signs from now on counts`);
}

/** `shoal node remove NODE`: the node is no longer admitted, and no node connects to it; it can come back only under a new identity. */
export async function removeNode(opts: { node: string; api: ApiTarget; key: string }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const id = await resolveNode(client, opts.node).catch(() => opts.node);
  let publicKey: string;
  try {
    const key = peerIdFromString(id).publicKey;
    if (key?.type !== 'Ed25519') throw new Error('not an Ed25519 peer id');
    publicKey = bytesToHex(key.raw);
  } catch {
    throw new UserError(`no node ${opts.node}: give a node id from \`shoal nodes\`, or the whole id of a node no longer listed`);
  }
  await writeOps(client, loadOperatorKey(opts.key), [{ key: nodeKey(publicKey), delete: true }, await revocationOp(client, publicKey)]);
  console.log(`node ${id} removed: its writes from now on count nowhere and every node refuses its connections; stop it, or it keeps running what it runs`);
}
