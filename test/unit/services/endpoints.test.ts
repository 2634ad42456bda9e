import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Service } from '../../../protocol/manifests/service.js';
import { chooseEndpoint } from '../../../protocol/services/balancer.js';
import { endpointId, serviceEndpoints, type SelectableWorkload, type SlotReplica } from '../../../protocol/services/endpoints.js';
import { publishedPorts } from '../../../protocol/services/port-owners.js';
import { createRandom } from '../../../base/random.js';

const service = (selector: Service['selector'], name = 'web', publish?: number): Service => ({
  namespace: 'default',
  name,
  selector,
  ports: [{ port: 8080, targetPort: 80, protocol: 'tcp', ...(publish === undefined ? {} : { publish: { port: publish } }) }],
});

const workloads: SelectableWorkload[] = [
  { key: 'Workload/default/web', namespace: 'default', name: 'web', labels: { app: 'web', tier: 'front' } },
  { key: 'Workload/default/api', namespace: 'default', name: 'api', labels: { app: 'api' } },
  { key: 'Workload/other/web', namespace: 'other', name: 'web', labels: { app: 'web' } },
];

const replica = (workload: string, slot: number, node: string, over: Partial<SlotReplica> = {}): SlotReplica => ({
  workload,
  slot,
  epoch: 1,
  node,
  state: 'running',
  ready: true,
  address: `10.0.0.${slot + 1}`,
  ...over,
});

const alive = (): string => 'alive';

test("a service selects its own namespace's workloads by name or by labels", () => {
  const replicas = [replica('Workload/default/web', 0, 'a'), replica('Workload/default/api', 0, 'a'), replica('Workload/other/web', 0, 'a')];
  assert.equal(
    serviceEndpoints(service({ workload: 'web' }), workloads, replicas, alive, 'a').map((e) => e.workload),
    ['Workload/default/web'],
  );
  assert.equal(
    serviceEndpoints(service({ labels: { app: 'web', tier: 'front' } }), workloads, replicas, alive, 'a').map((e) => e.workload),
    ['Workload/default/web'],
  );
  assert.equal(serviceEndpoints(service({ labels: { app: 'none' } }), workloads, replicas, alive, 'a'), []);
});

test('a replica leaves the rotation when unready, not running, or on a node seen suspect or dead, and the reason is kept', () => {
  const w = 'Workload/default/web';
  const replicas = [
    replica(w, 0, 'a'),
    replica(w, 1, 'b', { ready: false }),
    replica(w, 2, 'c', { state: 'backoff' }),
    replica(w, 3, 'd'),
    replica(w, 4, 'e'),
    replica(w, 5, 'a', { address: undefined }),
  ];
  const states: Record<string, string> = { b: 'alive', c: 'alive', d: 'suspect', e: 'dead' };
  const seen = serviceEndpoints(service({ workload: 'web' }), workloads, replicas, (n) => states[n] ?? 'unknown', 'a');
  assert.equal(
    seen.map((e) => [e.slot, e.excluded]),
    [
      [0, null],
      [1, 'not ready'],
      [2, 'not running'],
      [3, 'node suspect'],
      [4, 'node dead'],
      [5, 'no address'],
    ],
  );
});

test('a connection goes to a local replica while one is in rotation, and to the less busy of the others when none is', () => {
  const w = 'Workload/default/web';
  const endpoints = serviceEndpoints(service({ workload: 'web' }), workloads, [replica(w, 0, 'b'), replica(w, 1, 'a'), replica(w, 2, 'c')], alive, 'a');
  const random = createRandom(1);
  for (let i = 0; i < 20; i++) assert.is(chooseEndpoint(endpoints, () => 0, random)?.slot, 1);
  const remote = endpoints.filter((e) => !e.local);
  const busy = (id: string): number => (id === endpointId(remote[0] as (typeof remote)[number]) ? 10 : 0);
  for (let i = 0; i < 20; i++) assert.is(chooseEndpoint(remote, busy, random)?.slot, 2);
});

test('an endpoint already tried is skipped, and none left gives none', () => {
  const w = 'Workload/default/web';
  const endpoints = serviceEndpoints(service({ workload: 'web' }), workloads, [replica(w, 0, 'a'), replica(w, 1, 'b')], alive, 'a');
  const random = createRandom(2);
  const first = chooseEndpoint(endpoints, () => 0, random);
  assert.is(first?.slot, 0);
  const second = chooseEndpoint(endpoints, () => 0, random, new Set([endpointId(first as NonNullable<typeof first>)]));
  assert.is(second?.slot, 1);
  assert.is(
    chooseEndpoint(endpoints, () => 0, random, new Set(endpoints.map(endpointId))),
    undefined,
  );
});

test('with no endpoint in rotation left, a replica whose node is only suspect is tried, one whose node is dead or that is unready never', () => {
  const w = 'Workload/default/web';
  const states: Record<string, string> = { b: 'suspect', c: 'dead', d: 'alive' };
  const endpoints = serviceEndpoints(
    service({ workload: 'web' }),
    workloads,
    [replica(w, 0, 'b'), replica(w, 1, 'c'), replica(w, 2, 'd', { ready: false })],
    (n) => states[n] ?? 'unknown',
    'a',
  );
  const random = createRandom(4);
  assert.is(chooseEndpoint(endpoints, () => 0, random)?.slot, 0);
  assert.is(
    chooseEndpoint(endpoints, () => 0, random, new Set([endpointId(endpoints[0] as (typeof endpoints)[number])])),
    undefined,
  );
  const withLive = serviceEndpoints(service({ workload: 'web' }), workloads, [replica(w, 0, 'b'), replica(w, 3, 'd')], (n) => states[n] ?? 'unknown', 'a');
  for (let i = 0; i < 10; i++) assert.is(chooseEndpoint(withLive, () => 0, random)?.slot, 3, 'a live endpoint is preferred');
  assert.is(
    chooseEndpoint(withLive, () => 0, random, new Set([endpointId(withLive[1] as (typeof withLive)[number])]))?.slot,
    0,
    'the suspect one is the retry once the live one failed',
  );
});

test('connections spread over remote endpoints roughly evenly when none is busier', () => {
  const w = 'Workload/default/web';
  const endpoints = serviceEndpoints(
    service({ workload: 'web' }),
    workloads,
    [0, 1, 2].map((i) => replica(w, i, `n${i}`)),
    alive,
    'self',
  );
  const random = createRandom(3);
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) counts[chooseEndpoint(endpoints, () => 0, random)?.slot ?? 0]! += 1;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `counts ${counts.join(', ')}`);
});

test('a published port two services claim goes to the first by namespace and name on every node, and the other is reported', () => {
  const a = service({ workload: 'web' }, 'alpha', 30080);
  const b = service({ workload: 'api' }, 'beta', 30080);
  for (const order of [
    [a, b],
    [b, a],
  ]) {
    const { owners, clashes } = publishedPorts(order, '0.0.0.0');
    assert.is(owners.get('0.0.0.0:30080/tcp')?.service, 'default/alpha');
    assert.equal(clashes, [{ listened: { service: 'default/beta', address: '0.0.0.0', port: 30080, protocol: 'tcp', servicePort: 8080 }, heldBy: 'default/alpha' }]);
  }
});

test.run();
