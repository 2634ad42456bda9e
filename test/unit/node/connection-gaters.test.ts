import { peerIdFromString } from '@libp2p/peer-id';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { publicKeyOfPeerId } from '../../../base/peer-id.js';
import { anyDenies } from '../../../node/connection-gaters.js';
import { RevokedGate } from '../../../node/revoked-gate.js';

const MEMBER = peerIdFromString('12D3KooWS7r46Mg2VhXtpB7AggyYefJvEDufveSXTK2FztAuvUNE');
const REMOVED = peerIdFromString('12D3KooWPtHDDZa26Ry3CiQC6K9VDZt39RnKyg8aHjaSFmRAKjVK');
const CUT = peerIdFromString('12D3KooWNhTBTsAjYEVUy3jNEBJR1FVyZtUZJ9zsWvHSzpeSHeSH');

test('a removed node is refused both ways, counted, and its open connections aborted; a check two gaters make is denied if either denies', async () => {
  const revoked = new RevokedGate((key) => key === publicKeyOfPeerId(REMOVED.toString()));
  const partition = { denyDialPeer: (peer: typeof MEMBER) => peer.equals(CUT) };
  const gater = anyDenies(partition, revoked.gater);
  assert.is(await gater.denyDialPeer?.(MEMBER), false);
  assert.is(await gater.denyDialPeer?.(CUT), true, "the partition's verdict is kept beside the revocation's");
  assert.is(await gater.denyDialPeer?.(REMOVED), true);
  assert.is(await gater.denyInboundEncryptedConnection?.(REMOVED, {} as never), true);
  assert.is(await gater.denyOutboundEncryptedConnection?.(MEMBER, {} as never), false);
  assert.is(revoked.counters.refused, 2);

  const aborted: string[] = [];
  const connection = (peer: typeof MEMBER) => ({ remotePeer: peer, abort: () => aborted.push(peer.toString()) });
  revoked.closeRevoked({ getConnections: () => [connection(MEMBER), connection(REMOVED)] as never });
  assert.equal(aborted, [REMOVED.toString()]);
  assert.is(revoked.counters.closed, 1);
});

test.run();
