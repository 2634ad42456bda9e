import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SINGLETON_SLOT as SLOT, singletonSimulation } from '../../testnet/sim/majority-singleton.js';
import type { SchedulingSimulation } from '../../testnet/sim/scheduling/simulation.js';
import { simSeed } from './seed.js';

// The `majority` promise (a singleton never runs twice) on the real SWIM machines with
// the testnet's presets: the delay model of membership cannot show how differently the
// two sides of a cut learn of it.

// With SHOAL_SIM_SEED a loop runs from that seed on, so a failing seed (which the
// message names) replays first, and a soak's random seed tries a hundred new ones.
const SEEDS = 100;

function singleton(seed: number, nodes: number): { sim: SchedulingSimulation; owner: string } {
  const sim = singletonSimulation(seed, nodes, 'majority', 'node scripts/run-tests.mjs sim/majority-swim');
  const runners = [...sim.agent.runnersOf(SLOT)];
  assert.is(runners.length, 1, `the singleton runs once; ${sim.replay()}`);
  return { sim, owner: runners[0] as string };
}

const epochOn = (sim: SchedulingSimulation, node: string): string => (sim.lastPlanOf(node)?.placed ?? []).map((s) => `${s.assignment.node}@${s.assignment.epoch}`).join();

// Failed in 61 of 200 seeds at 5 nodes, 2 of them cut off: Lifeguard slowed the minority's
// probes, so it still saw a far member alive for ten seconds, and stopped the singleton
// seconds after the majority side had started it again. Now a member that leaves a
// request unanswered for a probe period counts for nothing, and a node that runs the
// singleton pings every member each half fence (without that census, seeds 7048 and
// 9072 still failed: the probe rotation reached the last far member too late).
for (const [nodes, cutOff] of [
  [5, 2],
  [7, 3],
  [9, 4],
] as const) {
  test(`a singleton cut off with ${cutOff - 1} other(s) of ${nodes} nodes stops before the majority side runs it`, () => {
    for (let i = 0; i < SEEDS; i++) {
      const { sim, owner } = singleton(simSeed(1000 * nodes) + i, nodes);
      const others = sim.ids().filter((id) => id !== owner);
      const majority = others.slice(cutOff - 1);
      sim.split([[owner, ...others.slice(0, cutOff - 1)], majority]);
      sim.run(sim.nowMs + 30_000);
      assert.equal(sim.duplicateSamples, [], `the singleton ran twice; ${sim.replay()}`);
      const runner = [...sim.agent.runnersOf(SLOT)].join();
      assert.ok(majority.includes(runner), `runs on the majority side, not on "${runner}"; ${sim.replay()}`);
    }
  });
}

// Found by the testnet's kill fault: the slot had moved once (epoch 1 on A, epoch 2 on B);
// B's node was killed, and A ran epoch 1 again at once, while B's replica ran on until its
// fence keeper removed it.
test("when the latest winner's node dies, an older winner does not run the slot again; it waits out the fence", () => {
  for (let i = 0; i < SEEDS; i++) {
    const { sim, owner } = singleton(simSeed(300) + i, 5);
    const others = sim.ids().filter((id) => id !== owner);
    sim.split([[owner, others[0] as string], others.slice(1)]);
    sim.run(sim.nowMs + 20_000);
    sim.heal();
    sim.run(sim.nowMs + 20_000);
    const moved = [...sim.agent.runnersOf(SLOT)].join();
    assert.ok(others.slice(1).includes(moved), `moved to the majority side, not to "${moved}"; ${sim.replay()}`);
    // Found on the way: after the heal the old minority, still holding the majority side
    // dead, took the slot from a node that ran it. A node back in the majority now counts
    // the fence from its return.
    assert.is(epochOn(sim, owner), `${moved}@2`, `stays at epoch 2 after the heal; ${sim.replay()}`);
    sim.crash(moved);
    sim.run(sim.nowMs + 30_000);
    assert.equal(sim.duplicateSamples, [], `the singleton ran twice; ${sim.replay()}`);
    const survivor = sim.ids().find((id) => id !== moved) as string;
    assert.match(epochOn(sim, survivor), /@3$/, `a new auction placed it; ${sim.replay()}`);
  }
});

test.run();
