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
import { SignedRequests } from '../../node/api/signed-requests.js';
import { operatorKeyOf, type OperatorKey } from '../../node/operator-key.js';
import { signatureHeaders } from '../../node/request-signature.js';
import { Replica } from '../../crdt/index.js';
import type { SignedMessage } from '../../protocol/replica-requests.js';
import { author } from '../unit/crdt/fixtures.js';

const WORKLOAD = 'Workload/default/web';
const admin = operatorKeyOf(author(1).secret, 'admin');
const stranger = operatorKeyOf(author(2).secret, 'stranger');
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
  logs: async function* () {
    yield new TextEncoder().encode('a line\n');
  },
} as Partial<ContainerRuntime> as ContainerRuntime;

test.before(async () => {
  for (let i = 0; i < 2; i++)
    hosts.push(await createHost({ privateKey: await generateKeyPair('Ed25519'), psk, clusterId: 'c0ffee', listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust }));
  [server, client] = hosts as [Host, Host];
  // The client is an admitted node (the connection check passes); what it asks for must still be an operator's.
  const signedRequests = new SignedRequests({ replica: new Replica({ cluster: 'c0ffee', operators: [admin.publicKey] }) }, { nowMs: () => Date.now() });
  access = new ReplicaAccess(server, runtime, { cluster: 'c0ffee', node: server.peerId.toString() }, {} as SchedulerService, {} as SwimService, () => true, signedRequests);
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
    if (frame === undefined) break;
    frames.push(frame.subarray());
  }
  // Closed here, not left to the hosts' stop, which closes every open stream under one signal.
  await stream.close().catch(() => stream.abort(new Error('closed')));
  return frames;
}

/** A request as the CLI signs it for the API, which forwards it as signed. */
async function signedRequest(by: OperatorKey, method: string, path: string, body?: string): Promise<SignedMessage> {
  const url = `http://127.0.0.1:7000${path}`;
  // As a server reads them: names in lower case.
  const headers = Object.fromEntries(Object.entries(await signatureHeaders(by, method, url, body)).map(([name, value]) => [name.toLowerCase(), value]));
  return { method, url, headers, ...(body === undefined ? {} : { body }) };
}

const signedExec = (by: OperatorKey, path = '/v1/workloads/default/web/exec', body = '{"slot":0,"command":["true"],"timeoutMs":1000}'): Promise<SignedMessage> =>
  signedRequest(by, 'POST', path, body);

const execHeader = async (request: SignedMessage): Promise<string | undefined> => {
  const [header] = await exchange(REPLICA_PROTOCOL, encodeReplicaRequest({ op: 'exec', request: request as never }));
  const decoded = decodeReplicaHeader(header!);
  return decoded.ok ? decoded.value.error : 'undecodable';
};

test('an exec answer larger than a frame arrives cut to one', async () => {
  const [header, result] = await exchange(REPLICA_PROTOCOL, encodeReplicaRequest({ op: 'exec', request: (await signedExec(admin)) as never }));
  assert.equal(decodeReplicaHeader(header!), { ok: true, value: {} });
  const decoded = decodeExecOutput(result!);
  assert.ok(decoded.ok && decoded.value.exitCode === 3 && decoded.value.stderr === 'done' && decoded.value.stdout.length < MAX_FRAME_BYTES);
});

test("an admitted node's exec runs only as an operator signed it: unsigned, forged, replayed, a stranger's or for another path is refused, and counted", async () => {
  const good = await signedExec(admin);
  assert.is(await execHeader(good), undefined);
  assert.match((await execHeader(good)) ?? '', /already used/, 'replayed');
  const { signature: _, ...unsigned } = (await signedExec(admin)).headers;
  assert.match((await execHeader({ ...good, headers: unsigned })) ?? '', /bad request \(invalid\): request\.headers\.signature/, 'unsigned: not even read');
  const forged = await signedExec(admin);
  assert.match((await execHeader({ ...forged, body: '{"slot":0,"command":["rm","-rf","/"],"timeoutMs":1000}' })) ?? '', /Content-Digest/);
  assert.match((await execHeader(await signedExec(stranger))) ?? '', /not an operator/);
  assert.match((await execHeader(await signedExec(admin, '/v1/deltas'))) ?? '', /no exec request/);
  assert.equal(Object.fromEntries(Object.entries(access.counters.dropped).filter(([code]) => code.startsWith('exec-'))), {
    'exec-replayed': 1,
    'exec-bad-digest': 1,
    'exec-not-an-operator': 1,
    'exec-forbidden': 1,
  });
});

test("an admitted node reads a replica's logs only as an operator asked", async () => {
  const logs = await signedRequest(admin, 'GET', '/v1/workloads/default/web/logs?tail=5');
  const [header, chunk] = await exchange(REPLICA_PROTOCOL, encodeReplicaRequest({ op: 'logs', request: logs as never }));
  assert.equal(decodeReplicaHeader(header!), { ok: true, value: {} });
  assert.is(new TextDecoder().decode(chunk), 'a line\n');
  const [refused] = await exchange(
    REPLICA_PROTOCOL,
    encodeReplicaRequest({ op: 'logs', request: (await signedRequest(stranger, 'GET', '/v1/workloads/default/web/logs')) as never }),
  );
  const decoded = decodeReplicaHeader(refused!);
  assert.ok(decoded.ok && /not an operator/.test(decoded.value.error ?? ''), JSON.stringify(decoded));
  assert.is(access.counters.dropped['logs-not-an-operator'], 1);
});

test('a bad replica request is answered with its code, and counted', async () => {
  const before = { ...access.counters.dropped };
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
  const counted = (code: string): number => (access.counters.dropped[code] ?? 0) - (before[code] ?? 0);
  assert.equal([counted('malformed'), counted('too-deep'), counted('invalid')], [1, 1, 1]);
});

test('the events feed answers a good query and counts a bad one', async () => {
  const [answer] = await exchange(EVENTS_PROTOCOL, encodeEventsQuery({ sinceMs: 0 }));
  const decoded = decodeEventsAnswer(answer!);
  assert.ok(decoded.ok && decoded.value.length === 1);
  assert.equal(await exchange(EVENTS_PROTOCOL, new TextEncoder().encode('{"sinceMs":-1}')), []);
  assert.equal(feed.counters.dropped, { invalid: 1 });
});

test.run();
