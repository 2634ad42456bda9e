import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auctionId, bidFor, isBid, winner, type Candidate, type Demand, type SchedulingPolicy } from '../../protocol/auction/index.js';
import { IMAGE_LOCALITY, score, type SpreadContext } from '../../protocol/auction/scores/index.js';

const GiB = 1024 ** 3;
const IMAGE = `sha256:${'c'.repeat(64)}`;
const WEB = 'Workload/default/web';
const ZONES = ['a', 'b', 'c', 'd'];
const auction = auctionId({ workload: WEB, index: 3 }, 2);

const demandOf = (spreadBy: string | undefined): Demand => ({
  workload: WEB,
  resources: { cpuMillis: 250, memoryBytes: GiB / 2 },
  hostPorts: [],
  constraints: [],
  maxPerNode: undefined,
  spreadBy,
  image: IMAGE,
});

interface Shape {
  id: string;
  present: number;
  holds: boolean;
  zone: string | undefined;
}

const candidateOf = (s: Shape, allocatedCpu: number): Candidate => ({
  id: s.id,
  labels: s.zone === undefined ? {} : { zone: s.zone },
  capacity: { cpuMillis: 4000, memoryBytes: 8 * GiB },
  allocated: { cpuMillis: allocatedCpu, memoryBytes: 2 * GiB },
  hostPortsInUse: new Set(),
  schedulable: true,
  replicasByWorkload: new Map([[WEB, s.present]]),
  images: s.holds ? new Set([IMAGE]) : new Set(),
});

const policy = fc.constantFrom<SchedulingPolicy>('spread', 'binpack');
/** Room left after the replica stays at least 10%, so the load term never rounds away. */
const allocatedCpu = fc.integer({ min: 0, max: 3000 });
const shapes = (present: fc.Arbitrary<number>, zone: fc.Arbitrary<string | undefined>) =>
  fc.uniqueArray(fc.record({ id: fc.stringMatching(/^n[0-9]{1,3}$/), present, holds: fc.boolean(), zone }), { selector: (s) => s.id, minLength: 2, maxLength: 8 });
const context: fc.Arbitrary<SpreadContext> = fc
  .array(fc.nat({ max: 200 }), { minLength: ZONES.length, maxLength: ZONES.length })
  .map((counts) => ({ replicasByLabelValue: new Map(ZONES.map((z, i) => [z, counts[i] as number])) }));

const winnerOf = (p: SchedulingPolicy, d: Demand, candidates: Candidate[], c: SpreadContext): Candidate | undefined => {
  const id = winner(candidates.map((x) => bidFor(auction, p, d, x, c)).filter(isBid))?.node;
  return candidates.find((x) => x.id === id);
};

test('at equal load, the image never makes a node with more replicas of the workload beat one with fewer', () => {
  fc.assert(
    fc.property(shapes(fc.nat({ max: 2000 }), fc.constant(undefined)), allocatedCpu, (nodes, cpu) => {
      const candidates = nodes.map((s) => candidateOf(s, cpu));
      const fewest = Math.min(...nodes.map((s) => s.present));
      const won = winnerOf('spread', demandOf(undefined), candidates, { replicasByLabelValue: new Map() });
      assert.is(won?.replicasByWorkload.get(WEB), fewest, JSON.stringify(nodes));
      for (const a of candidates)
        for (const b of candidates) {
          if ((a.replicasByWorkload.get(WEB) as number) >= (b.replicasByWorkload.get(WEB) as number)) continue;
          const none = { replicasByLabelValue: new Map<string, number>() };
          assert.ok(score('spread', demandOf(undefined), a, none) > score('spread', demandOf(undefined), b, none), `${a.id} over ${b.id}`);
        }
    }),
    { numRuns: 400 },
  );
});

test('at equal load, under spread or binpack, the image never makes a domain with more replicas win over one with fewer', () => {
  fc.assert(
    fc.property(policy, shapes(fc.nat({ max: 3 }), fc.option(fc.constantFrom(...ZONES), { nil: undefined, freq: 6 })), context, allocatedCpu, (p, nodes, spread, cpu) => {
      // Equal load: the same allocation and the same replicas of the workload on every node.
      const present = nodes[0]?.present ?? 0;
      const candidates = nodes.map((s) => candidateOf({ ...s, present }, cpu));
      const d = demandOf('zone');
      const withImages = winnerOf(p, d, candidates, spread);
      const without = winnerOf(
        p,
        d,
        candidates.map((c) => ({ ...c, images: undefined })),
        spread,
      );
      // Domains with as many replicas are as good: among those the image may choose.
      const replicasIn = (c: Candidate | undefined): number => {
        const zone = c?.labels.zone;
        return zone === undefined ? Infinity : (spread.replicasByLabelValue.get(zone) ?? 0);
      };
      const shown = JSON.stringify({ nodes, spread: [...spread.replicasByLabelValue] });
      assert.is(replicasIn(withImages), replicasIn(without), shown);
      assert.is(replicasIn(withImages), Math.min(...candidates.map(replicasIn)), shown);
    }),
    { numRuns: 400 },
  );
});

test('a node whose load term beats another by more than IMAGE_LOCALITY wins, whoever holds the image', () => {
  fc.assert(
    fc.property(policy, fc.boolean(), allocatedCpu, allocatedCpu, (p, holds, cpuA, cpuB) => {
      const d = demandOf(undefined);
      const none = { replicasByLabelValue: new Map<string, number>() };
      const a = candidateOf({ id: 'a', present: 0, holds, zone: undefined }, cpuA);
      const b = candidateOf({ id: 'b', present: 0, holds: !holds, zone: undefined }, cpuB);
      const bare = (c: Candidate): number => score(p, { ...d, image: undefined }, c, none);
      const [hi, lo] = bare(a) >= bare(b) ? [a, b] : [b, a];
      if (bare(hi) * (1 - IMAGE_LOCALITY) <= bare(lo) + 1e-9) return;
      assert.ok(score(p, d, hi, none) > score(p, d, lo, none));
    }),
    { numRuns: 400 },
  );
});

test('every score stays within 0..1, whatever the node holds and carries', () => {
  fc.assert(
    fc.property(
      policy,
      fc.record({ id: fc.constant('n'), present: fc.nat({ max: 10_000 }), holds: fc.boolean(), zone: fc.option(fc.constantFrom(...ZONES), { nil: undefined }) }),
      fc.integer({ min: 0, max: 3750 }),
      fc.option(fc.constant('zone'), { nil: undefined }),
      context,
      (p, shape, cpu, spreadBy, spread) => {
        const value = score(p, demandOf(spreadBy), candidateOf(shape, cpu), spread);
        assert.ok(value >= 0 && value <= 1, String(value));
      },
    ),
    { numRuns: 300 },
  );
});

test.run();
