import { multiaddr } from '@multiformats/multiaddr';
import type { Libp2p } from '@libp2p/interface';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memberAddresses, SelfAddresses } from '../../../node/self-addresses.js';

const SELF = '12D3KooWS7r46Mg2VhXtpB7AggyYefJvEDufveSXTK2FztAuvUNE';
const RELAY = '12D3KooWNhTBTsAjYEVUy3jNEBJR1FVyZtUZJ9zsWvHSzpeSHeSH';
const direct = (i: number) => multiaddr(`/ip4/10.0.${i}.2/tcp/7370/p2p/${SELF}`);
const relayed = (i: number) => multiaddr(`/ip4/203.0.113.${i}/tcp/7370/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`);

test('a member record names direct addresses first, then relay addresses, and keeps room for those within its 16', () => {
  assert.equal(memberAddresses([relayed(1), direct(1)]), [direct(1).toString(), relayed(1).toString()]);
  const many = memberAddresses([...Array.from({ length: 20 }, (_, i) => direct(i)), relayed(1), relayed(2)]);
  assert.is(many.length, 16);
  assert.equal(many.slice(14), [relayed(1).toString(), relayed(2).toString()]);
  assert.is(memberAddresses(Array.from({ length: 20 }, (_, i) => direct(i))).length, 16);
});

/** A libp2p host as SelfAddresses sees it: its addresses and the event that says they changed. */
function fakeHost(addrs: ReturnType<typeof multiaddr>[]) {
  const events = new EventTarget();
  const host = Object.assign(events, { getMultiaddrs: () => addrs }) as unknown as Libp2p;
  return { host, update: () => events.dispatchEvent(new CustomEvent('self:peer:update')) };
}

test('a burst of address changes is announced once, after it settles, and only when the addresses differ', async () => {
  const addrs = [direct(1)];
  const { host, update } = fakeHost(addrs);
  const announced: string[][] = [];
  const self = new SelfAddresses(host, [direct(1).toString()], (a) => announced.push(a), 20);
  self.start();
  update();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(announced, [], 'nothing changed');
  addrs.push(relayed(1));
  update();
  update();
  update();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(announced, [[direct(1).toString(), relayed(1).toString()]]);
  addrs.pop();
  update();
  self.stop();
  await new Promise((r) => setTimeout(r, 40));
  assert.is(announced.length, 1, 'stopped: a pending announcement is dropped');
});

test.run();
