import type { Candidate, Demand } from '../candidate.js';
import { constraintsHold } from './constraints.js';
import { hostPortsFree } from './host-ports.js';
import { resourcesFit } from './resources.js';
import { perNodeLimit } from './per-node-limit.js';

/** Why a node did not bid: kept in the decline, so `shoal describe` can answer "why not node X?". */
export type RejectReason = 'not-schedulable' | 'insufficient-cpu' | 'insufficient-memory' | 'constraint' | 'host-port-in-use' | 'max-per-node' | 'failed-here';

export type Feasibility = { ok: true } | { ok: false; reason: RejectReason; detail: string };

export type Filter = (demand: Demand, candidate: Candidate) => Feasibility;

export const feasible: Feasibility = { ok: true };

const schedulable: Filter = (_, candidate) =>
  candidate.schedulable ? feasible : { ok: false, reason: 'not-schedulable', detail: `${candidate.id} is cordoned, draining or not alive` };

/** Nomad's order: cheap checks first; the first refusal is the reason. */
export const FILTERS: readonly Filter[] = [schedulable, constraintsHold, perNodeLimit, hostPortsFree, resourcesFit];

export function checkFeasibility(demand: Demand, candidate: Candidate): Feasibility {
  for (const filter of FILTERS) {
    const verdict = filter(demand, candidate);
    if (!verdict.ok) return verdict;
  }
  return feasible;
}
