import { generateKeyPair } from '@libp2p/crypto/keys';
import { TopicValidatorResult, type PublishResult, type SignedMessage, type TopicValidatorFn } from '@libp2p/gossipsub';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReplicaUsageSample } from '../../../node/agent/runtime.js';
import { usageTopic } from '../../../node/host.js';
import { UsageService, type UsagePubSub } from '../../../node/usage/usage-service.js';
import { decodeUsageSummary, encodeUsageSummary, type UsageSummary } from '../../../protocol/usage/usage-codec.js';

const CLUSTER = 'c0ffee';
const SELF = 'node-self';
const INTERVAL = 5_000;
const log = pino({ level: 'silent' });

class FakePubSub implements UsagePubSub {
  readonly topicValidators = new Map<string, TopicValidatorFn>();
  readonly subscriptions = new Set<string>();
  readonly published: { topic: string; summary: UsageSummary }[] = [];

  subscribe(topic: string): void {
    this.subscriptions.add(topic);
  }

  unsubscribe(topic: string): void {
    this.subscriptions.delete(topic);
  }

  async publish(topic: string, data?: Uint8Array): Promise<PublishResult> {
    const decoded = decodeUsageSummary(data ?? new Uint8Array());
    if (!decoded.ok) throw new Error(`published what no node reads: ${decoded.error.detail}`);
    this.published.push({ topic, summary: decoded.value });
    return { recipients: [] };
  }
}

/** A service on a fake clock, runtime and gossipsub; `samples` is what the runtime reads next. */
function harness(admitted: readonly string[] = ['node-b'], intervalMs = INTERVAL) {
  const clock = { now: 1_000_000 };
  /** The members SWIM holds alive or suspect. */
  const live = new Set([SELF, ...admitted]);
  const pubsub = new FakePubSub();
  const runtime = { samples: [] as ReplicaUsageSample[], fail: false };
  const service = new UsageService({
    runtime: { usage: async () => (runtime.fail ? Promise.reject(new Error('engine down')) : runtime.samples), list: async () => [] },
    owner: { cluster: CLUSTER, node: SELF },
    pubsub,
    clusterId: CLUSTER,
    self: SELF,
    isAdmittedPeer: (peer) => admitted.includes(peer),
    isLiveMember: (peer) => live.has(peer),
    log,
    // The timer never fires in a test: rounds are run by tick().
    intervalMs,
    nowMs: () => clock.now,
  });
  return { clock, pubsub, runtime, service, live };
}

const sample = (slot: number, cpuSeconds: number, atMs: number): ReplicaUsageSample => ({
  id: `replica-${slot}`,
  workload: 'Workload/default/web',
  slot,
  epoch: 1,
  cpuNanos: cpuSeconds * 1e9,
  memoryBytes: 32 * 2 ** 20,
  atMs,
});

const peerSummary = (node: string, atMs: number): Uint8Array =>
  encodeUsageSummary({ node, atMs, replicas: [{ workload: 'Workload/default/web', slot: 7, epoch: 1, cpuMillis: 400, memoryBytes: 1_000 }] });

test('started, it subscribes to its cluster usage topic with a validator; stopped, it leaves both', async () => {
  const { pubsub, service } = harness();
  service.start();
  assert.ok(pubsub.subscriptions.has(`/shoal/${CLUSTER}/usage/1`));
  assert.ok(pubsub.topicValidators.has(usageTopic(CLUSTER)));
  await service.tick();
  service.stop();
  assert.is(pubsub.subscriptions.size, 0);
  assert.is(pubsub.topicValidators.size, 0);
});

test('each round after the first sample publishes the rate per replica, and the node answers for itself', async () => {
  const { clock, pubsub, runtime, service } = harness();
  runtime.samples = [sample(0, 10, 0), sample(1, 0, 0)];
  service.start();
  await service.tick(); // the first sample, taken at start
  runtime.samples = [sample(0, 15, 5_000), sample(1, 1, 5_000)];
  clock.now += INTERVAL;
  await service.tick();
  service.stop();
  assert.equal(pubsub.published, [
    {
      topic: usageTopic(CLUSTER),
      summary: {
        node: SELF,
        atMs: clock.now,
        replicas: [
          { workload: 'Workload/default/web', slot: 0, epoch: 1, cpuMillis: 1000, memoryBytes: 32 * 2 ** 20 },
          { workload: 'Workload/default/web', slot: 1, epoch: 1, cpuMillis: 200, memoryBytes: 32 * 2 ** 20 },
        ],
      },
    },
  ]);
  assert.equal(service.nodes(), [{ node: SELF, atMs: clock.now, cpuMillis: 1200, memoryBytes: 64 * 2 ** 20, replicas: 2 }]);
});

test('a node that runs nothing says so, then again every 11 rounds or when a member comes up; a replica is said at once', async () => {
  const { clock, pubsub, runtime, service } = harness();
  service.start();
  await service.tick(); // the first sample, taken at start
  const rounds = async (n: number): Promise<void> => {
    for (let round = 0; round < n; round++) {
      clock.now += INTERVAL;
      await service.tick();
    }
  };
  await rounds(23);
  assert.equal(
    pubsub.published.map((p) => p.summary.replicas.length),
    [0, 0, 0],
    'rounds 1, 12 and 23 of 23: a peer keeps an empty summary for 24 rounds',
  );
  await rounds(2);
  service.memberCameUp();
  await rounds(1);
  assert.is(pubsub.published.length, 4, 'a member came up: the next round says it again');
  await rounds(9);
  assert.is(pubsub.published.length, 4, 'and the repeat counts from there');
  pubsub.published.length = 0;
  // A replica's first sample gives no rate yet: its second round is the first that names it.
  runtime.samples = [sample(0, 10, clock.now + INTERVAL)];
  clock.now += INTERVAL;
  await service.tick();
  runtime.samples = [sample(0, 15, clock.now + INTERVAL)];
  clock.now += INTERVAL;
  await service.tick();
  runtime.samples = [];
  clock.now += INTERVAL;
  await service.tick();
  service.stop();
  assert.equal(
    pubsub.published.map((p) => p.summary.replicas.length),
    [1, 0],
    'the first round that names a replica, and the next that names none',
  );
  assert.equal(service.nodes(), [{ node: SELF, atMs: clock.now, cpuMillis: 0, memoryBytes: 0, replicas: 0 }]);
});

test('the quiet repeat counts rounds: at one round a second, a node that runs nothing still says so every 11 s', async () => {
  const { clock, pubsub, service } = harness(['node-b'], 1_000);
  service.start();
  await service.tick();
  for (let round = 0; round < 23; round++) {
    clock.now += 1_000;
    await service.tick();
  }
  service.stop();
  assert.is(pubsub.published.length, 3, 'rounds 1, 12 and 23: peers at this interval keep an empty summary 24 s');
});

test('a round whose runtime cannot be read publishes nothing and is counted', async () => {
  const { pubsub, runtime, service } = harness();
  runtime.fail = true;
  service.start();
  await service.tick();
  await service.tick();
  service.stop();
  assert.is(pubsub.published.length, 0);
  assert.is(service.counters.sampleFailures, 2);
});

test("an admitted peer's own summary is accepted and answers for its replicas", () => {
  const { clock, service } = harness();
  assert.is(service.fromGossip('node-b', peerSummary('node-b', clock.now)), 'accept');
  assert.equal(service.workload('Workload/default/web')?.replicas, [{ node: 'node-b', slot: 7, epoch: 1, cpuMillis: 400, memoryBytes: 1_000 }]);
  assert.is(service.counters.received, 1);
});

test('a summary for another node, unsigned or malformed is rejected; one from a peer not admitted here, or stamped ahead, ignored; each counted', () => {
  const { clock, service } = harness();
  assert.is(service.fromGossip('node-b', peerSummary('node-c', clock.now)), 'reject');
  assert.is(service.fromGossip(undefined, peerSummary('node-b', clock.now)), 'reject');
  assert.is(service.fromGossip('node-b', new TextEncoder().encode('{"v":1,')), 'reject');
  assert.is(service.fromGossip('node-b', new TextEncoder().encode('{"v":1,"node":"node-b","atMs":-1,"replicas":[]}')), 'reject');
  assert.is(service.fromGossip('node-x', peerSummary('node-x', clock.now)), 'ignore');
  assert.is(service.fromGossip('node-b', peerSummary('node-b', clock.now + 3_600_000)), 'ignore');
  assert.is(service.fromGossip('node-b', new TextEncoder().encode('{"v":3,"node":"node-b"}')), 'ignore');
  assert.equal(service.counters, {
    received: 0,
    published: 0,
    sampleFailures: 0,
    dropped: { 'not-sender': 1, unsigned: 1, malformed: 1, invalid: 1, 'not-admitted': 1, future: 1, version: 1 },
  });
  assert.equal(service.nodes(), []);
});

test("a peer's summary is gone four intervals after the last one arrived; one that names no replica, 24", () => {
  const { clock, service } = harness(['node-b', 'node-c']);
  service.fromGossip('node-b', peerSummary('node-b', clock.now));
  service.fromGossip('node-c', encodeUsageSummary({ node: 'node-c', atMs: clock.now, replicas: [] }));
  clock.now += 4 * INTERVAL;
  assert.equal(
    service.nodes().map((n) => n.node),
    ['node-b', 'node-c'],
  );
  clock.now += 1;
  assert.equal(
    service.nodes().map((n) => n.node),
    ['node-c'],
  );
  clock.now += 20 * INTERVAL - 1;
  assert.is(service.nodes().length, 1);
  clock.now += 1;
  assert.equal(service.nodes(), []);
});

test('a node SWIM no longer holds alive or suspect is not listed, though its replicas still count for their workload until their summary goes', () => {
  const { clock, service, live } = harness(['node-b']);
  service.fromGossip('node-b', peerSummary('node-b', clock.now));
  live.delete('node-b');
  assert.equal(service.nodes(), []);
  assert.is(service.workload('Workload/default/web')?.replicas[0]?.node, 'node-b');
  live.add('node-b');
  assert.is(service.nodes()[0]?.node, 'node-b', 'back alive: listed again from what was kept');
});

test('the validator gossipsub calls judges the signer of a message, not the peer that relayed it', async () => {
  const key = await generateKeyPair('Ed25519');
  const signer = peerIdFromPrivateKey(key);
  const { clock, pubsub, service } = harness([signer.toString()]);
  service.start();
  const validator = pubsub.topicValidators.get(usageTopic(CLUSTER));
  const message = (data: Uint8Array): SignedMessage => ({
    type: 'signed',
    from: signer,
    topic: usageTopic(CLUSTER),
    data,
    sequenceNumber: 1n,
    signature: new Uint8Array(64),
    key: key.publicKey,
  });
  const relay = peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
  assert.is(await validator?.(relay, message(peerSummary(signer.toString(), clock.now))), TopicValidatorResult.Accept);
  assert.is(await validator?.(relay, message(peerSummary(relay.toString(), clock.now))), TopicValidatorResult.Reject);
  assert.is(await validator?.(signer, { type: 'unsigned', topic: usageTopic(CLUSTER), data: peerSummary(signer.toString(), clock.now) }), TopicValidatorResult.Reject);
  service.stop();
});

test.run();
