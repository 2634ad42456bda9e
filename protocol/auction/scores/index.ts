import type { Candidate, Demand, SchedulingPolicy } from '../candidate.js';
import { addResources, type Resources } from '../resources.js';

/** How the workload's replicas already sit over the values of its spread label. */
export interface SpreadContext {
  replicasByLabelValue: ReadonlyMap<string, number>;
}

/** A node's utilization as the scores weigh it: the mean of its CPU and memory fractions (full where it has none). */
export function utilization(used: Resources, capacity: Resources): number {
  const cpu = capacity.cpuMillis > 0 ? used.cpuMillis / capacity.cpuMillis : 1;
  const memory = capacity.memoryBytes > 0 ? used.memoryBytes / capacity.memoryBytes : 1;
  return (cpu + memory) / 2;
}

const utilizationAfter = (demand: Demand, candidate: Candidate): number => utilization(addResources(candidate.allocated, demand.resources), candidate.capacity);

/** Nomad's job anti-affinity: each replica of the same workload already on the node costs. */
const sameWorkloadPenalty = (demand: Demand, candidate: Candidate): number => {
  const present = candidate.replicasByWorkload.get(demand.workload) ?? 0;
  return present / (present + 1);
};

const mostInOneDomain = (context: SpreadContext): number => Math.max(0, ...context.replicasByLabelValue.values());

/** Fewer replicas in the candidate's domain (zone, rack) score higher. */
function domainScore(demand: Demand, candidate: Candidate, context: SpreadContext): number {
  if (demand.spreadBy === undefined) return 1;
  const value = candidate.labels[demand.spreadBy];
  if (value === undefined) return 0;
  const here = context.replicasByLabelValue.get(value) ?? 0;
  return 1 - here / (mostInOneDomain(context) + 1);
}

/**
 * At most this share of its load term a node gives up for lacking the replica's image:
 * the bytes it would pull are worth about 5% of the node's load, so the image chooses
 * between nodes of near-equal load and never outweighs a real difference in load.
 */
export const IMAGE_LOCALITY = 0.05;

/** The demand names its image and the candidate does not say it holds it (a node that says nothing holds nothing). */
export const lacksImage = (demand: Demand, candidate: Candidate): boolean => demand.image !== undefined && candidate.images?.has(demand.image) !== true;

/**
 * What a node's load term is multiplied by: 1 where it holds the image (or the image is
 * unknown), else 1 - IMAGE_LOCALITY / steps. A cut for the lacking rather than a bonus
 * for holders keeps scores in [0, 1] without a clamp that would flatten the top.
 *
 * Why divided by `steps`: the spread terms move in steps, and the image must stay below
 * the smallest. The anti-affinity's load term is (1 - u) / (p + 1) for a node with p of
 * the workload's replicas; a node with p + 1 at the same utilization has (1 - u) / (p + 2),
 * which is below (1 - u) (1 - δ) / (p + 1) whenever δ < 1 / (p + 2), true of δ = 0.05 / (p + 1)
 * for every p. A fixed 5% would not be: from p = 18 up a holder with one more replica would
 * tie or win. Likewise a domain's score moves in steps of 1 / (most + 1) (`domainScore`),
 * weighed as much as the load term, which is at most 1; a load term cut by less than one
 * step keeps every domain's rank at equal load. So `steps` is the finer of the two:
 * p + 1 under spread (binpack has no anti-affinity), most + 1 under a spread label.
 *
 * Where it can still tip a choice: between nodes whose load terms are within a factor
 * 1 - δ, at most 5%, the holder wins. With spread and no replica yet, a holder with 39%
 * free after the replica beats a lacking node with 40% free; with binpack, a holder
 * filled to 77% beats a lacking one filled to 80%. That holds across replica counts and
 * domains too: a choice that the load terms and the spread terms together made by less
 * than δ of the load term can flip, one made by a whole step of replicas or of a domain
 * at equal load never does. Where no node holds the image, lacking nodes with different
 * replica counts are cut by different δ: the node with more replicas loses less, up to
 * 5% of its load term, the one trade between load and anti-affinity the term shifts.
 * Feasibility is the filters' alone, untouched by any score.
 */
function imageFactor(policy: SchedulingPolicy, demand: Demand, candidate: Candidate, context: SpreadContext): number {
  if (!lacksImage(demand, candidate)) return 1;
  const replicaSteps = policy === 'spread' ? (candidate.replicasByWorkload.get(demand.workload) ?? 0) + 1 : 1;
  const domainSteps = demand.spreadBy === undefined ? 1 : mostInOneDomain(context) + 1;
  return 1 - IMAGE_LOCALITY / Math.max(replicaSteps, domainSteps);
}

/**
 * A candidate's score in [0, 1]. `spread` (the default) prefers the emptiest node and
 * keeps a workload's replicas apart; `binpack` fills nodes first, to leave whole
 * nodes free. With a spread label, the domain balance weighs as much as the node's load.
 * Either way a node that holds the replica's image scores a little higher (`imageFactor`).
 */
export function score(policy: SchedulingPolicy, demand: Demand, candidate: Candidate, context: SpreadContext): number {
  const utilization = utilizationAfter(demand, candidate);
  const nodeLoad = policy === 'binpack' ? utilization : (1 - utilization) * (1 - sameWorkloadPenalty(demand, candidate));
  const load = nodeLoad * imageFactor(policy, demand, candidate, context);
  const value = demand.spreadBy === undefined ? load : (load + domainScore(demand, candidate, context)) / 2;
  return Math.round(value * 1e9) / 1e9;
}
