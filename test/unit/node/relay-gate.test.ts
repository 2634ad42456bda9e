import { peerIdFromString } from '@libp2p/peer-id';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { publicKeyOfPeerId } from '../../../base/peer-id.js';
import { RelayGate } from '../../../node/relay-gate.js';

const MEMBER = peerIdFromString('12D3KooWS7r46Mg2VhXtpB7AggyYefJvEDufveSXTK2FztAuvUNE');
const JOINER = peerIdFromString('12D3KooWNhTBTsAjYEVUy3jNEBJR1FVyZtUZJ9zsWvHSzpeSHeSH');
const REMOVED = peerIdFromString('12D3KooWPtHDDZa26Ry3CiQC6K9VDZt39RnKyg8aHjaSFmRAKjVK');
const key = (p: typeof MEMBER): string => publicKeyOfPeerId(p.toString()) ?? '';

function gate() {
  const admitted = new Set([key(MEMBER)]);
  const relay = new RelayGate({ isAdmitted: (k) => admitted.has(k), isRevoked: (k) => k === key(REMOVED), recheckMs: 5 });
  return { relay, admit: (p: typeof MEMBER) => admitted.add(key(p)) };
}

test('an admitted member reserves at once, a removed node is refused at once, and each is counted', async () => {
  const { relay } = gate();
  assert.is(await relay.gater.denyInboundRelayReservation?.(MEMBER), false);
  assert.is(await relay.gater.denyInboundRelayReservation?.(REMOVED), true);
  assert.equal(relay.counters, { reservationsGranted: 1, reservationsRefused: 1, relayedConnectionsRefused: 0 });
});

test("a joiner's reservation waits for its admission and is then granted", async () => {
  const { relay, admit } = gate();
  const verdict = relay.gater.denyInboundRelayReservation?.(JOINER);
  setTimeout(() => admit(JOINER), 20);
  assert.is(await verdict, false);
  assert.is(relay.counters.reservationsGranted, 1);
});

test('relayed connections pass only between admitted members, at the relay and at their end', async () => {
  const { relay } = gate();
  assert.is(await relay.gater.denyOutboundRelayedConnection?.(MEMBER, MEMBER), false);
  assert.is(await relay.gater.denyOutboundRelayedConnection?.(JOINER, MEMBER), true);
  assert.is(await relay.gater.denyInboundRelayedConnection?.(MEMBER, REMOVED), true);
  assert.is(relay.counters.relayedConnectionsRefused, 2);
});

test.run();
