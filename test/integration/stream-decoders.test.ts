import { generateKeyPair } from '@libp2p/crypto/keys';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ObservedReplica } from '../../protocol/agent/replica.js';
import { decodeEventsAnswer, encodeEventsQuery } from '../../protocol/event-feed-codec.js';
import { MAX_FRAME_BYTES } from '../../base/limits.js';
import { decodeExecOutput, decodeReplicaHeader, encodeReplicaRequest } from '../../protocol/replica-access-codec.js';
import type { ContainerRuntime } from '../../node/agent/runtime.js';
import { generateClusterKey } from '../../node/cluster-key.js';
import { EventFeed, EVENTS_PROTOCOL } from '../../node/event-feed.js';
import { EventLog } from '../../node/event-log.js';
import { createHost, loopbackTrust, type Host } from '../../node/host.js';
import { REPLICA_PROTOCOL, ReplicaAccess } from '../../node/replica-access.js';
import type { SchedulerService } from '../../node/scheduler-service.js';
import type { SwimService } from '../../node/swim/service.js';

const WORKLOAD = 'Workload/default/web';
const psk = generateClusterKey();
const hosts: Host[] = [];
let server: Host;
let client: Host;
let access: ReplicaAccess;
let feed: EventFeed;

// Only what serving a stream uses: the runtime's list and exec. Asking goes through the scheduler and SWIM, not tested here.
const replica: ObservedReplica = { id: 'r1', workload: WORKLOAD, slot: 0, epoch: 1, specVersion: 'v1', state: 'running', hostPorts: [] };
const runtime = {
  kind: 'process',
  list: async () => [replica],
  exec: async () => ({ exitCode: 3, stdout: 'o'.repeat(2 * MAX_FRAME_BYTES), stderr: 'done' }),
} as Partial<ContainerRuntime> as ContainerRuntime;

test.before(async () => {
  for (let i = 0; i < 2; i++)
    hosts.push(await createHost({ privateKey: await generateKeyPair('Ed25519'), psk, clusterId: 'c0ffee', listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust }));
  [server, client] = hosts as [Host, Host];
  access = new ReplicaAccess(server, runtime, { cluster: 'c0ffee', node: server.peerId.toString() }, {} as SchedulerService, {} as SwimService, () => true);
  await access.start();
  const events = new EventLog();
  events.record({ atMs: 5, node: 'n', kind: 'placed', object: WORKLOAD, message: 'slot 0 placed' });
  feed = new EventFeed(server, {} as SwimService, events);
  await feed.start();
  await client.dial(multiaddr(server.getMultiaddrs()[0]!.toString()));
});

test.after(async () => {
  await Promise.allSettled(hosts.map((h) => h.stop()));
});

async function exchange(protocol: string, request: Uint8Array): Promise<Uint8Array[]> {
  const stream = await client.dialProtocol(server.peerId, protocol, { signal: AbortSignal.timeout(5_000) });
  const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES });
  await lp.write(request);
  const frames: Uint8Array[] = [];
  for (;;) {
    const frame = await lp.read({ signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    if (frame === undefined) return frames;
    frames.push(frame.subarray());
  }
}

test('an exec answer larger than a frame arrives cut to one', async () => {
  const [header, result] = await exchange(REPLICA_PROTOCOL, encodeReplicaRequest({ op: 'exec', workload: WORKLOAD, slot: 0, command: ['true'], timeoutMs: 1_000 }));
  assert.equal(decodeReplicaHeader(header!), { ok: true, value: {} });
  const decoded = decodeExecOutput(result!);
  assert.ok(decoded.ok && decoded.value.exitCode === 3 && decoded.value.stderr === 'done' && decoded.value.stdout.length < MAX_FRAME_BYTES);
});

test('a bad replica request is answered with its code, and counted', async () => {
  const utf8 = (text: string) => new TextEncoder().encode(text);
  const answers = [
    ...(await exchange(REPLICA_PROTOCOL, utf8('{"op":"exec"'))),
    ...(await exchange(REPLICA_PROTOCOL, utf8(`${'['.repeat(100)}${']'.repeat(100)}`))),
    ...(await exchange(REPLICA_PROTOCOL, utf8('{"op":"logs","workload":1}'))),
  ].map((frame) => decodeReplicaHeader(frame));
  assert.equal(
    answers.map((h) => (h.ok ? h.value.error?.split(')')[0] : 'undecodable')),
    ['bad request (malformed', 'bad request (too-deep', 'bad request (invalid'],
  );
  assert.equal(access.counters.dropped, { malformed: 1, 'too-deep': 1, invalid: 1 });
});

test('the events feed answers a good query and counts a bad one', async () => {
  const [answer] = await exchange(EVENTS_PROTOCOL, encodeEventsQuery({ sinceMs: 0 }));
  const decoded = decodeEventsAnswer(answer!);
  assert.ok(decoded.ok && decoded.value.length === 1);
  assert.equal(await exchange(EVENTS_PROTOCOL, new TextEncoder().encode('{"sinceMs":-1}')), []);
  assert.equal(feed.counters.dropped, { invalid: 1 });
});

test.run();
