import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canMakeNamespaces } from '../../testnet/netns/ip.js';
import { reapLeftovers } from '../../testnet/netns/namespaces.js';
import { NatCluster } from '../../testnet/netns/nat-cluster.js';
import { poll } from '../../testnet/poll.js';

/**
 * Two NATs that refuse a connection nobody inside asked for (a reset, as a Linux router
 * with no rule does): the NATed nodes' hole punch fails, and everything still works
 * through the relay, content too. The DHT then reaches a NATed node's provider records
 * only through the public node, which libp2p's LAN address mapper had left out of every
 * routing table for having a public address.
 */
const enabled = process.getuid?.() === 0 && canMakeNamespaces();
let cluster: NatCluster | undefined;

test.before(async () => {
  if (!enabled) return;
  const reaped = reapLeftovers();
  if (reaped.length > 0) console.log(`removed the namespaces of crashed runs: ${reaped.join(', ')}`);
  cluster = await NatCluster.start('refuse');
});

test.after(async () => {
  await cluster?.stop();
});

const it = enabled ? test : test.skip;
const nat = (): NatCluster => cluster as NatCluster;

it('the punch between the NATed nodes fails, is counted, and they reach each other relayed', async () => {
  await nat().everySees(['public', 'a', 'b'], [nat().node('public'), nat().node('a'), nat().node('b')], 'alive', 120_000);
  const failed = async (at: 'a' | 'b'): Promise<number> => (await nat().holePunches(at))?.failed ?? 0;
  await poll('a punch tried and failed at a or b', async () => ((await failed('a')) + (await failed('b')) > 0 ? true : undefined), 120_000);
  assert.is(await nat().reach('a', 'b'), 'relayed');
  assert.is(await nat().reach('b', 'a'), 'relayed');
});

it('an artifact pushed to one NATed node runs on the other, its holder found through the public node and its bytes relayed', async () => {
  const ms = await nat().runArtifact('fetcher', 256 * 1024, 'a', 'b');
  console.log(`  running behind NAT b on the artifact pushed behind NAT a ${(ms / 1000).toFixed(1)} s after the apply`);
  assert.is(await nat().reach('b', 'a'), 'relayed', 'still relayed: the bytes came through the relay');
});

test.run();
