import type { SchedulingPolicy } from '../protocol/auction/candidate.js';
import { createRandom } from '../base/random.js';
import type { NodeInfo, WorkloadInfo } from '../protocol/scheduler/view.js';
import { variedWorkloads } from '../testnet/sim/scheduling/workloads.js';
import { onePlacementPerSlot, placementsOf, withinCapacity } from '../testnet/sim/scheduling/checks.js';
import { SchedulingSimulation } from '../testnet/sim/scheduling/simulation.js';
import { greedyPlacement } from '../testnet/sim/greedy-baseline.js';
import { packingOf, ratio, type Packing } from '../testnet/sim/packing.js';
import { round } from './stats.js';

const GiB = 1024 ** 3;
const REPLICAS_PER_WORKLOAD = 20;

export interface Scenario {
  seed: number;
  nodes: number;
  replicas: number;
  policy: SchedulingPolicy;
  /** Give up on convergence after this much virtual time. */
  limitMs: number;
  /** 0: every workload applied at once; else one at a time, evenly over this long, each through the next node. */
  arrivalMs: number;
}

/** 8 CPUs and 16 GiB a node: the varied workloads then ask for about half the cluster's CPU. */
const nodeSpec = (): Pick<NodeInfo, 'capacity' | 'labels'> => ({ capacity: { cpuMillis: 8000, memoryBytes: 16 * GiB }, labels: {} });

const perPlacement = (count: number, placements: number): number | null => (placements === 0 ? null : round(count / placements, 2));

/** Runs one scenario to convergence and measures it, then checks it and compares its packing with the central greedy one. */
export function runScenario(scenario: Scenario) {
  const workloads = variedWorkloads(createRandom(scenario.seed), scenario.replicas / REPLICAS_PER_WORKLOAD, REPLICAS_PER_WORKLOAD, scenario.policy);
  const sim = new SchedulingSimulation({ seed: scenario.seed, nodes: scenario.nodes, node: nodeSpec, replayCommand: 'npm run bench:sched' });
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  applyAll(sim, workloads, scenario.arrivalMs);
  const convergedAtMs = runUntilPlanned(sim, scenario.replicas, scenario.limitMs);
  const wallS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const settledAtMs = sim.nowMs + 2_000;
  sim.run(settledAtMs);
  const allPlacedAtMs = Math.max(0, ...sim.placedAtMs.values());
  const placements = sim.placedAtMs.size;
  const checkStarted = performance.now();
  const checks = { onePlacementPerSlot: onePlacementPerSlot(sim).detail, withinCapacity: withinCapacity(sim, sim.ids()[0] as string).detail };
  const nodes = sim.ids().map((id) => sim.viewOf(id).nodes.get(id) as NodeInfo);
  return {
    policy: scenario.policy,
    arrivalMs: scenario.arrivalMs,
    nodes: scenario.nodes,
    replicas: scenario.replicas,
    workloads: workloads.length,
    seed: scenario.seed,
    convergedAtVirtualS: convergedAtMs === undefined ? null : convergedAtMs / 1000,
    allPlacedAtVirtualS: round(allPlacedAtMs / 1000, 3),
    // To convergence; CPU time too, since other work on the machine stretches the wall clock.
    wallS: round(wallS, 1),
    cpuS: round(cpuS, 1),
    placements,
    placementsPerVirtualS: allPlacedAtMs > 0 ? Math.round(placements / (allPlacedAtMs / 1000)) : null,
    placementsPerWallS: Math.round(placements / wallS),
    placementsPerCpuS: Math.round(placements / cpuS),
    answerMessagesPerPlacement: perPlacement(sim.traffic.answerMessages, placements),
    answersPerPlacement: perPlacement(sim.traffic.answers, placements),
    claimWritesPerPlacement: perPlacement(sim.traffic.claimWrites, placements),
    statusWritesPerPlacement: perPlacement(sim.traffic.statusWrites, placements),
    duplicatesAfterConvergence: sim.agent.duplicates,
    samplesWithDuplicates: sim.duplicateSamples.length,
    ticks: sim.traffic.ticks,
    skippedTicks: sim.traffic.skippedTicks,
    checks,
    checksWallS: round((performance.now() - checkStarted) / 1000, 1),
    packing: comparePacking(scenario.policy, placementsOf(sim.planOf(sim.ids()[0] as string)), nodes, workloads),
    replay: sim.replay(),
  };
}

function applyAll(sim: SchedulingSimulation, workloads: readonly WorkloadInfo[], arrivalMs: number): void {
  if (arrivalMs === 0) return sim.apply(workloads);
  const ids = sim.ids();
  workloads.forEach((workload, i) => {
    sim.run((i * arrivalMs) / workloads.length);
    sim.apply([workload], ids[i % ids.length]);
  });
}

/** Virtual time at which every live node's last plan placed every slot and had nothing open or waiting. */
function runUntilPlanned(sim: SchedulingSimulation, slots: number, limitMs: number): number | undefined {
  for (let t = 100; t <= limitMs; t += 100) {
    sim.run(t);
    const planned = sim.liveIds().every((id) => {
      const plan = sim.lastPlanOf(id);
      return plan !== undefined && plan.placed.length === slots && plan.open.length === 0 && plan.waiting.length === 0;
    });
    if (planned) return t;
  }
  return undefined;
}

function comparePacking(policy: SchedulingPolicy, shoalPlacement: ReadonlyMap<string, string>, nodes: readonly NodeInfo[], workloads: Parameters<typeof greedyPlacement>[1]) {
  const started = performance.now();
  const baseline: Packing = packingOf(greedyPlacement(nodes, workloads), nodes, workloads);
  const shoal: Packing = packingOf(shoalPlacement, nodes, workloads);
  const ratios =
    policy === 'spread'
      ? { maxUtilizationRatio: ratio(baseline.maxUtilization, shoal.maxUtilization), stdDevUtilizationRatio: ratio(baseline.stdDevUtilization, shoal.stdDevUtilization) }
      : { nodesUsedRatio: ratio(baseline.nodesUsed, shoal.nodesUsed) };
  return { shoal, baseline, ...ratios, baselineWallS: round((performance.now() - started) / 1000, 1) };
}
