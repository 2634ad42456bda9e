import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeKey, operatorKey, Replica, revocationKey, type Delta, type Op } from '../../crdt/index.js';
import { placementField } from '../../protocol/node-writes.js';
import { peerIdOfPublicKey } from '../../base/peer-id.js';
import { author, CLUSTER, write, type Author, withNodeWrites } from '../unit/crdt/fixtures.js';

const NOW = 1_800_000_000_000;
const root = author(1);
const teammate = author(2);
const founder = author(5);
const joiner = author(6);
const nodes = [founder, joiner];
const workloads = ['Workload/default/a', 'Workload/default/b'];

/** One step of a cluster's life: operators apply, delete and place, nodes decide, report and admit, an operator is revoked. */
type Step =
  | { t: 'apply' | 'delete'; by: 0 | 1; workload: number; at: number }
  | { t: 'grant' | 'revoke'; at: number }
  | { t: 'admit'; at: number }
  | { t: 'decide'; node: number; workload: number; epoch: number; winner: number; at: number }
  | { t: 'place'; workload: number; epoch: number; winner: number; at: number }
  | { t: 'status'; node: number; workload: number; at: number };

const at = fc.nat({ max: 30 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ t: fc.constantFrom('apply' as const, 'delete' as const), by: fc.constantFrom(0 as const, 1 as const), workload: fc.nat({ max: 1 }), at }),
  fc.record({ t: fc.constantFrom('grant' as const, 'revoke' as const), at }),
  fc.record({ t: fc.constant('admit' as const), at }),
  fc.record({ t: fc.constant('decide' as const), node: fc.nat({ max: 1 }), workload: fc.nat({ max: 1 }), epoch: fc.integer({ min: 1, max: 4 }), winner: fc.nat({ max: 1 }), at }),
  fc.record({ t: fc.constant('status' as const), node: fc.nat({ max: 1 }), workload: fc.nat({ max: 1 }), at }),
  // An operator writing a decision itself, as an admin may: it can lift a node's pending one.
  fc.record({ t: fc.constant('place' as const), workload: fc.nat({ max: 1 }), epoch: fc.integer({ min: 1, max: 4 }), winner: fc.nat({ max: 1 }), at }),
);

function sign(steps: Step[]): Delta[] {
  for (const a of [root, teammate, ...nodes]) {
    a.seq = 0;
    a.last = undefined;
  }
  const slot = (w: number) => `${workloads[w]!.replace('Workload/', '')}.0`;
  const id = (n: Author) => peerIdOfPublicKey(n.publicKey);
  return steps.map((s) => {
    const wallMs = NOW + s.at * 100;
    const ops = (by: Author, list: Op[]) => write(by, wallMs, list);
    switch (s.t) {
      case 'apply':
        return ops(s.by === 0 ? root : teammate, [{ key: workloads[s.workload]!, set: { 'spec.image': `v${s.at}` } }]);
      case 'delete':
        return ops(s.by === 0 ? root : teammate, [{ key: workloads[s.workload]!, delete: true }]);
      case 'grant':
        return ops(root, [{ key: operatorKey(teammate.publicKey), set: { publicKey: teammate.publicKey } }]);
      case 'revoke':
        return ops(root, [{ key: revocationKey(teammate.publicKey), set: { publicKey: teammate.publicKey, heads: teammate.last ? [teammate.last] : [] } }]);
      case 'admit':
        return ops(founder, [{ key: nodeKey(joiner.publicKey), set: { peerId: id(joiner) } }]);
      case 'decide': {
        const node = nodes[s.node]!;
        return ops(node, [{ key: `Placement/${slot(s.workload)}`, set: { [placementField(s.epoch, id(node))]: { winner: id(nodes[s.winner]!) } } }]);
      }
      case 'place':
        return ops(root, [{ key: `Placement/${slot(s.workload)}`, set: { [placementField(s.epoch, id(nodes[s.winner]!))]: { winner: id(nodes[s.winner]!) } } }]);
      case 'status': {
        const node = nodes[s.node]!;
        return ops(node, [{ key: `Status/${slot(s.workload)}`, set: { [id(node)]: { state: `s${s.at}` } } }]);
      }
    }
  });
}

const newReplica = (): Replica => new Replica({ cluster: CLUSTER, operators: [root.publicKey], nodes: [founder.publicKey] }, withNodeWrites);

const shown = (replica: Replica): string => JSON.stringify(replica.document.keys().map((k) => [k, replica.document.get(k)]));

/**
 * Delivers in the given order, offering refused deltas again as anti-entropy would, until
 * nothing more lands. What the merges built one by one (held node ops lifted as they
 * came) must be what a fold of the whole log shows (a restart's load).
 */
function deliver(deltas: Delta[]): string {
  const replica = newReplica();
  const landed: Delta[] = [];
  for (let pass = 0; pass <= deltas.length; pass++) {
    const before = landed.length;
    for (const d of deltas) if (replica.receive(d, NOW + 10_000).ok) landed.push(d);
    if (landed.length === before) break;
  }
  const folded = newReplica();
  folded.load(landed);
  assert.is(shown(replica), shown(folded), 'merged one by one as a fold of the log shows');
  return shown(replica);
}

test('replicas holding the same operator and node writes show the same document, in any order of arrival', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 14 }), fc.infiniteStream(fc.nat()), (steps, picks) => {
      const deltas = sign(steps);
      const shuffled = [...deltas].sort(() => ((picks.next().value as number) % 3) - 1);
      const reference = deliver(deltas);
      assert.is(deliver(shuffled), reference);
      assert.is(deliver([...deltas].reverse()), reference);
    }),
    { numRuns: 200 },
  );
});

test.run();
