import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRandom } from '../../base/random.js';
import type { NodeInfo, PartitionPolicy } from '../../protocol/scheduler/view.js';
import type { CheckResult } from '../../testnet/sim/checks.js';
import { variedWorkloads, workloadOf } from '../../testnet/sim/scheduling/workloads.js';
import { greedyPlacement } from '../../testnet/sim/greedy-baseline.js';
import { packingOf } from '../../testnet/sim/packing.js';
import { noDuplicates, onePlacementPerSlot, placedWithin, placementsOf, runsOnce, slotsOf, withinCapacity } from '../../testnet/sim/scheduling/checks.js';
import { uniformLatency } from '../../testnet/sim/network.js';
import type { SchedulingFaults } from '../../testnet/sim/scheduling/faults.js';
import { SchedulingSimulation } from '../../testnet/sim/scheduling/simulation.js';
import { simSeed } from './seed.js';
import { schedulerConfig } from '../../protocol/scheduler/config.js';

const GiB = 1024 ** 3;
const large = () => ({ capacity: { cpuMillis: 8000, memoryBytes: 16 * GiB }, labels: {} });

function expectOk(sim: SchedulingSimulation, result: CheckResult, what: string): void {
  assert.ok(result.ok, `${what}: ${result.detail}; ${sim.replay()}`);
}

const runners = (sim: SchedulingSimulation, slots: readonly string[]): Map<string, string> => new Map(slots.map((slot) => [slot, [...sim.agent.runnersOf(slot)].sort().join(',')]));

test('200 nodes given 2,000 replicas of 100 workloads at once place each slot once, agree, and overfill no node', () => {
  const seed = simSeed(2000);
  const sim = new SchedulingSimulation({ seed, nodes: 200, node: large });
  const workloads = variedWorkloads(createRandom(seed), 100, 20).map((w, i) => (i % 5 === 0 ? { ...w, policy: 'binpack' as const } : w));
  sim.apply(workloads);
  sim.run(20_000);
  expectOk(sim, onePlacementPerSlot(sim), 'placements');
  expectOk(sim, withinCapacity(sim, 'n000'), 'capacity');
  expectOk(sim, runsOnce(sim, slotsOf(sim.viewOf('n000'))), 'agents');
  expectOk(sim, noDuplicates(sim.duplicateSamples), 'with no fault');
});

for (const policy of ['spread', 'binpack'] as const) {
  test(`${policy}: 100 nodes given 1,000 replicas at once pack at least 95% as well as a central greedy scheduler`, () => {
    const seed = simSeed(policy === 'spread' ? 1000 : 1001);
    const sim = new SchedulingSimulation({ seed, nodes: 100, node: large });
    const workloads = variedWorkloads(createRandom(seed), 50, 20, policy);
    sim.apply(workloads);
    sim.run(10_000);
    const first = sim.ids()[0] as string;
    expectOk(sim, onePlacementPerSlot(sim), 'placements');
    expectOk(sim, withinCapacity(sim, first), 'capacity');
    const nodes = sim.ids().map((id) => sim.viewOf(first).nodes.get(id) as NodeInfo);
    const shoal = packingOf(placementsOf(sim.planOf(first)), nodes, workloads);
    const greedy = packingOf(greedyPlacement(nodes, workloads), nodes, workloads);
    const [quality, what] =
      policy === 'spread'
        ? [greedy.maxUtilization / shoal.maxUtilization, `busiest node ${shoal.maxUtilization} vs ${greedy.maxUtilization}`]
        : [greedy.nodesUsed / shoal.nodesUsed, `nodes used ${shoal.nodesUsed} vs ${greedy.nodesUsed}`];
    assert.ok(quality >= 0.95, `${what}; ${sim.replay()}`);
  });
}

const MAJORITY = ['n0', 'n1', 'n2'];
const MINORITY = ['n3', 'n4'];

/** Five nodes, one replica of `web` on each, cut 3 | 2 once placed. */
function partitioned(seed: number, partitionPolicy: PartitionPolicy, faults: Partial<SchedulingFaults> = {}) {
  const claims: { node: string; atMs: number }[] = [];
  const sim = new SchedulingSimulation({
    seed,
    nodes: 5,
    faults,
    onWrite: (node, ops, atMs) => ops.some((op) => op.kind === 'claim') && claims.push({ node, atMs }),
  });
  sim.apply([workloadOf({ name: 'web', replicas: 5, cpuMillis: 500, memoryBytes: GiB / 4, partitionPolicy })]);
  sim.run(5_000);
  const slots = slotsOf(sim.viewOf('n0'));
  expectOk(sim, onePlacementPerSlot(sim), 'before the cut');
  expectOk(sim, runsOnce(sim, slots), 'before the cut');
  assert.equal([...runners(sim, slots).values()].sort(), ['n0', 'n1', 'n2', 'n3', 'n4'], `one replica per node; ${sim.replay()}`);
  const originals = runners(sim, slots);
  sim.split([MAJORITY, MINORITY]);
  const cutAtMs = sim.nowMs;
  const claimsDuringCut = (nodes: readonly string[]) => claims.filter((c) => c.atMs >= cutAtMs && nodes.includes(c.node));
  return { sim, slots, originals, cutAtMs, claimsDuringCut };
}

test('available: each side of a partition replaces what it cannot see, and the heal keeps the originals', () => {
  const { sim, slots, originals, cutAtMs } = partitioned(simSeed(35), 'available');
  sim.run(cutAtMs + 20_000);
  expectOk(sim, placedWithin(sim, MAJORITY, MAJORITY), 'the majority side');
  expectOk(sim, placedWithin(sim, MINORITY, MINORITY), 'the minority side');
  for (const slot of slots) assert.is(sim.agent.runnersOf(slot).size, 2, `${slot} runs once on each side; ${sim.replay()}`);
  sim.heal();
  sim.run(cutAtMs + 40_000);
  expectOk(sim, onePlacementPerSlot(sim), 'after the heal');
  expectOk(sim, runsOnce(sim, slots, originals), 'after the heal, the originals');
});

test('majority: the minority fences itself and decides nothing, the majority re-places its replicas, no slot runs twice', () => {
  const { sim, slots, cutAtMs, claimsDuringCut } = partitioned(simSeed(53), 'majority');
  sim.run(cutAtMs + 45_000);
  expectOk(sim, noDuplicates(sim.duplicateSamples), 'during the partition');
  expectOk(sim, placedWithin(sim, MAJORITY, MAJORITY), 'the majority side');
  expectOk(sim, runsOnce(sim, slots), 'the majority side runs each slot');
  for (const slot of slots) assert.ok(MAJORITY.includes([...sim.agent.runnersOf(slot)].join()), `${slot} runs on the majority side; ${sim.replay()}`);
  assert.equal(claimsDuringCut(MINORITY), [], `the minority writes no claim; ${sim.replay()}`);
  sim.heal();
  sim.run(cutAtMs + 75_000);
  expectOk(sim, onePlacementPerSlot(sim), 'after the heal');
  expectOk(sim, runsOnce(sim, slots), 'after the heal');
});

// Once failed in 34 of seeds 1-40: on the heal the fenced minority regained a majority and
// restarted its originals, which "ran longest", before the nodes running the majority's
// replacements noticed it alive. Now a majority slot keeps its latest epoch, and a node
// that was fenced stays fenced for fenceMs after it sees a majority again.
test('majority: no slot runs twice across the heal either', () => {
  const { sim, cutAtMs } = partitioned(simSeed(53), 'majority');
  sim.run(cutAtMs + 45_000);
  sim.heal();
  sim.run(cutAtMs + 75_000);
  expectOk(sim, noDuplicates(sim.duplicateSamples), 'across the heal');
});

// Issue 20: the fence keeper acted on the lease as last written (rewritten every quarter
// fence), the agent on its scheduler's fresher sighting; between the two, a replica the
// keeper had removed was started again on the cut-off side. Now the agent judges by the
// keeper's record too, and a lease once run out stays so until the node sees a majority:
// else the record rewritten when the removal empties the guarded list carries the fresher
// sighting and unfences the node for up to a quarter fence (seed 90 showed it).
test('majority: once its keeper has removed a replica, a cut-off node starts none until it sees a majority again', () => {
  for (let i = 0; i < 5; i++) {
    const { sim, cutAtMs } = partitioned(simSeed(90 + i), 'majority');
    sim.run(cutAtMs + 45_000);
    for (const node of MINORITY) assert.equal(sim.agent.majorityReplicas(node), [], `${node} is fenced; ${sim.replay()}`);
    sim.heal();
    sim.run(cutAtMs + 75_000);
    assert.equal(sim.fencedStarts, [], `no start while fenced; ${sim.replay()}`);
    expectOk(sim, noDuplicates(sim.duplicateSamples), 'across the cut and the heal');
  }
});

// Issue 20, item 8: on a busy host the fault suite saw a healed minority node run its old
// copy of a majority slot for 0.5 s beside the majority side's replacement: it waited a
// fence after the heal, and the replacement's claim took longer than that to arrive. Here
// anti-entropy after the heal takes one to three fences; the node now waits until it has
// exchanged with enough peers to make a majority with them.
test('majority: a healed minority node runs nothing the majority moved, however slow the repair after the heal', () => {
  const fenceMs = 10_000;
  for (let i = 0; i < 5; i++) {
    const { sim, cutAtMs } = partitioned(simSeed(120 + i), 'majority', { repairLatency: uniformLatency(fenceMs, 3 * fenceMs) });
    sim.run(cutAtMs + 45_000);
    sim.heal();
    sim.run(cutAtMs + 150_000);
    expectOk(sim, noDuplicates(sim.duplicateSamples), 'across a slow heal');
    assert.equal(sim.fencedStarts, [], `no start while fenced; ${sim.replay()}`);
  }
});

test('a live node whose answers come late, as on a busy host, still gets its share of a spread', () => {
  // 5 s is past the short window (3 s on local): closing without the late node gave 3/2/1.
  for (const [seed, lagMs] of [
    [12, 2_000],
    [13, 5_000],
    [14, 5_000],
  ] as const) {
    for (const slow of ['n0', 'n1', 'n2']) {
      const sim = new SchedulingSimulation({ seed: simSeed(seed), nodes: 3, config: schedulerConfig.local(), faults: { slowNodes: { [slow]: lagMs } } });
      sim.apply([workloadOf({ name: 'web', replicas: 6, cpuMillis: 100, memoryBytes: 64 * 1024 ** 2 })]);
      sim.run(60_000);
      expectOk(sim, onePlacementPerSlot(sim), 'placed');
      const perNode = new Map<string, number>();
      for (const node of placementsOf(sim.planOf('n0')).values()) perNode.set(node, (perNode.get(node) ?? 0) + 1);
      assert.equal(
        sim.liveIds().map((id) => perNode.get(id) ?? 0),
        [2, 2, 2],
        `two replicas on each node, ${slow} answering ${lagMs} ms late; ${sim.replay()}`,
      );
    }
  }
});

test('a live member that never answers costs the auctions the short window, not the long one each', () => {
  const config = schedulerConfig.local();
  // n4's answers never arrive; it still collects its share of the auctions (two in five), where it misses nothing.
  const sim = new SchedulingSimulation({ seed: simSeed(15), nodes: 5, config, faults: { slowNodes: { n4: 3_600_000 } } });
  sim.apply([workloadOf({ name: 'web', replicas: 10, cpuMillis: 100, memoryBytes: 64 * 1024 ** 2 })]);
  // One long window, then at most the short one for each of the other nine slots, and time for ticks and writes.
  sim.run(config.windowMs + 9 * config.silentWindowMs + 5_000);
  expectOk(sim, onePlacementPerSlot(sim), 'all ten placed');
});

test('a workload no node can start is tried once on each node, left unplaced, and tried again only after the decline runs out: nothing flaps', () => {
  const DECLINE_MS = 60_000;
  const broken = workloadOf({ name: 'broken', replicas: 3, cpuMillis: 100, memoryBytes: 64 * 1024 ** 2 });
  const web = workloadOf({ name: 'web', replicas: 5, cpuMillis: 100, memoryBytes: 64 * 1024 ** 2 });
  const writes = new Map<string, number>();
  const sim = new SchedulingSimulation({
    seed: simSeed(17),
    nodes: 5,
    // A minute, not five: the simulator runs three declines in a few seconds.
    config: { ...schedulerConfig.local(), failedHereDeclineMs: DECLINE_MS },
    failsToStart: (workload) => workload === broken.key,
    onWrite: (node, ops) => {
      for (const op of ops) if (op.kind === 'status' && op.slot.startsWith(broken.key)) writes.set(`${op.slot} by ${node}`, (writes.get(`${op.slot} by ${node}`) ?? 0) + 1);
    },
  });
  const most = (): [string, number] => [...writes].reduce((a, b) => (b[1] > a[1] ? b : a), ['none', 0] as [string, number]);
  sim.apply([broken, web]);
  sim.run(DECLINE_MS - 10_000);
  // Each node fails each slot once and stops it once; with the failure cleared on the
  // stop, one node wrote the same slot back and forth about 500 times in 50 s.
  assert.ok(most()[1] <= 2, `${most()[0]} wrote ${most()[1]} statuses before the decline ran out; ${sim.replay()}`);
  assert.is(writes.size, 15, `each of the 5 nodes tried each of the 3 slots; ${sim.replay()}`);
  const webSlots = slotsOf(sim.viewOf('n0')).filter((s) => s.startsWith(web.key));
  expectOk(sim, runsOnce(sim, webSlots), 'the startable workload beside it');
  const triedBefore = [...writes.values()].reduce((a, b) => a + b, 0);
  sim.run(2 * DECLINE_MS);
  // As a kubelet's back-off: tried again once the decline runs out, a round at a time.
  assert.ok([...writes.values()].reduce((a, b) => a + b, 0) > triedBefore, `tried again after the decline ran out; ${sim.replay()}`);
  assert.ok(most()[1] <= 6, `${most()[0]} wrote ${most()[1]} statuses in three rounds; ${sim.replay()}`);
  assert.equal(
    slotsOf(sim.viewOf('n0')).filter((s) => s.startsWith(broken.key) && sim.agent.runnersOf(s).size > 0),
    [],
    `nothing runs the broken slots; ${sim.replay()}`,
  );
});

test('a replica that fits nowhere is auctioned a few times an hour, through a partition and its heal, and placed soon after room is freed', () => {
  const fill = workloadOf({ name: 'fill', replicas: 20, cpuMillis: 1000, memoryBytes: GiB / 4 });
  const late = workloadOf({ name: 'late', replicas: 1, cpuMillis: 1000, memoryBytes: GiB / 4 });
  const empty: number[] = [];
  const sim = new SchedulingSimulation({
    seed: simSeed(41),
    nodes: 5,
    onWrite: (_node, ops, atMs) => {
      for (const op of ops) if (op.kind === 'claim' && op.slot.startsWith(late.key) && 'unschedulable' in op.claim) empty.push(atMs);
    },
  });
  sim.apply([fill]);
  sim.run(10_000);
  assert.is(placementsOf(sim.planOf('n0')).size, 20, `five nodes of 4 CPUs hold 20 replicas of 1 CPU; ${sim.replay()}`);
  sim.apply([late]);
  sim.run(5 * 60_000);
  // Each side sees fewer members at the cut, and every node more at the heal, as SWIM
  // converges (a dozen retries in two seconds, one a membership change): a retry at once
  // each time, then the back-off again, and no retry at every tick while the two sides'
  // views differ.
  sim.split([MAJORITY, MINORITY]);
  sim.run(30 * 60_000);
  sim.heal();
  sim.run(60 * 60_000);
  const settled = empty.filter((atMs) => atMs >= 31 * 60_000).length;
  assert.ok(empty.length <= 60, `${empty.length} empty claims in an hour (a 30 s cap wrote 120 on each side of the cut); ${sim.replay()}`);
  assert.ok(settled <= 7, `${settled} empty claims in the 29 minutes after the heal settled; ${sim.replay()}`);
  assert.is(placementsOf(sim.planOf('n0')).get(`${late.key}#0`), undefined);
  // Minutes from a retry either way (one at 60 min, the next due at 65): only room freed places it now.
  sim.run(62 * 60_000);
  sim.apply([{ ...fill, replicas: 19 }]);
  sim.run(sim.nowMs + 5_000);
  assert.ok(placementsOf(sim.planOf('n0')).has(`${late.key}#0`), `placed within 5 s of a replica of fill going; ${sim.replay()}`);
});

test('a node whose machine goes down has its replicas placed and run on the others', () => {
  const sim = new SchedulingSimulation({ seed: simSeed(7), nodes: 20 });
  sim.apply(variedWorkloads(createRandom(7), 3, 10));
  sim.run(5_000);
  const slots = slotsOf(sim.viewOf('n00'));
  const victim = 'n07';
  const moved = slots.filter((s) => sim.agent.runnersOf(s).has(victim));
  assert.ok(moved.length > 0, `the victim runs something; ${sim.replay()}`);
  sim.crash(victim, { replicasKeepRunning: false });
  sim.run(20_000);
  expectOk(sim, onePlacementPerSlot(sim), 'after the crash');
  expectOk(sim, runsOnce(sim, slots), 'after the crash');
  for (const slot of moved) assert.is.not([...sim.agent.runnersOf(slot)].join(), victim, `${slot} moved; ${sim.replay()}`);
});

test('a daemon that dies and restarts, its replicas still running, ends with each slot running once', () => {
  const sim = new SchedulingSimulation({ seed: simSeed(11), nodes: 20 });
  sim.apply(variedWorkloads(createRandom(11), 3, 10));
  sim.run(5_000);
  const slots = slotsOf(sim.viewOf('n00'));
  const victim = 'n03';
  sim.crash(victim);
  sim.run(20_000);
  assert.ok(
    slots.some((s) => sim.agent.runnersOf(s).size === 2),
    `the dead node's replicas were replaced; ${sim.replay()}`,
  );
  sim.restart(victim);
  sim.run(40_000);
  expectOk(sim, onePlacementPerSlot(sim), 'after the restart');
  expectOk(sim, runsOnce(sim, slots), 'after the restart');
});

/** Every write of a run with loss, a crash, a partition and a heal, as text. */
function trace(seed: number, skipIdleTicks: boolean): string {
  const lines: string[] = [];
  const sim = new SchedulingSimulation({
    seed,
    nodes: 30,
    skipIdleTicks,
    faults: { answerLossRate: 0.05 },
    onWrite: (node, ops, atMs) => lines.push(`${atMs}:${node}:${JSON.stringify(ops)}`),
  });
  const ids = sim.ids();
  sim.apply(variedWorkloads(createRandom(seed), 6, 8));
  sim.at(8_000, () => sim.crash(ids[4] as string));
  sim.at(16_000, () => sim.split([ids.slice(0, 20), ids.slice(20)]));
  sim.at(30_000, () => sim.heal());
  sim.run(50_000);
  expectOk(sim, onePlacementPerSlot(sim), `seed ${seed}, skipping idle ticks ${skipIdleTicks}`);
  return `${lines.join('\n')}\n${sim.duplicateSamples.length}`;
}

test('skipping idle ticks changes nothing, and a run replays exactly from its seed', () => {
  const seed = simSeed(77);
  const skipping = trace(seed, true);
  assert.ok(skipping === trace(seed, false), `skipping idle ticks changed the run; seed=${seed}; replay with SHOAL_SIM_SEED=${seed} node scripts/run-tests.mjs sim/scheduling`);
  assert.is.not(trace(seed + 1, true), skipping, `seeds ${seed} and ${seed + 1} gave the same run; replay with SHOAL_SIM_SEED=${seed} node scripts/run-tests.mjs sim/scheduling`);
});

test.run();
