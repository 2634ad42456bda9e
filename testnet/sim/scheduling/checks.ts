import { constraintHolds } from '../../../protocol/auction/filters/constraints.js';
import { slotKey } from '../../../protocol/auction/slot.js';
import type { Plan } from '../../../protocol/scheduler/plan.js';
import type { ClusterView, NodeInfo, WorkloadInfo } from '../../../protocol/scheduler/view.js';
import type { CheckResult } from '../checks.js';

/** What the checks read from a scheduling run: the simulator's, or a Docker testnet's scraped the same way. */
export interface SchedulingObservation {
  liveIds(): string[];
  viewOf(id: string): ClusterView;
  planOf(id: string): Plan;
  capacityOf(id: string): NodeInfo['capacity'] | undefined;
  agent: { runnersOf(slot: string): ReadonlySet<string>; slots(): ReadonlyMap<string, ReadonlySet<string>> };
}

const pass: CheckResult = { ok: true, detail: 'ok' };

/** Every slot of every workload, as `<workload key>#<index>`, in `view`. */
export function slotsOf(view: ClusterView): string[] {
  return view.workloads.flatMap((w) => Array.from({ length: w.replicas }, (_, index) => slotKey({ workload: w.key, index })));
}

/** Slot key to node, as one node's plan places them. */
export function placementsOf(plan: Plan): Map<string, string> {
  return new Map(plan.placed.map((p) => [slotKey({ workload: p.workload.key, index: p.index }), p.assignment.node]));
}

/** Every live node's view places every slot of every workload, and all place each slot on the same node. */
export function onePlacementPerSlot(sim: SchedulingObservation): CheckResult {
  const [first, ...others] = sim.liveIds();
  if (first === undefined) return { ok: false, detail: 'no live node' };
  const slots = slotsOf(sim.viewOf(first));
  const reference = placementsOf(sim.planOf(first));
  const unplaced = slots.find((s) => !reference.has(s));
  if (unplaced !== undefined) return { ok: false, detail: `${first} has no placement for ${unplaced} (${reference.size} of ${slots.length} placed)` };
  for (const id of others) {
    const mine = placementsOf(sim.planOf(id));
    if (mine.size !== reference.size) return { ok: false, detail: `${id} places ${mine.size} slots, ${first} places ${reference.size}` };
    for (const [slot, node] of reference) {
      if (mine.get(slot) !== node) return { ok: false, detail: `${id} places ${slot} on ${mine.get(slot) ?? 'nothing'}, ${first} on ${node}` };
    }
  }
  return pass;
}

/** Each of `observers` places every slot, and only on `nodes`: what one side of a partition must show. */
export function placedWithin(sim: SchedulingObservation, observers: readonly string[], nodes: readonly string[]): CheckResult {
  for (const id of observers) {
    const slots = slotsOf(sim.viewOf(id));
    const placed = placementsOf(sim.planOf(id));
    for (const slot of slots) {
      const node = placed.get(slot);
      if (node === undefined || !nodes.includes(node)) return { ok: false, detail: `${id} places ${slot} on ${node ?? 'nothing'}, want one of ${nodes.join(', ')}` };
    }
  }
  return pass;
}

/** As `observer` plans it, no node holds more than its capacity. */
export function withinCapacity(sim: SchedulingObservation, observer: string): CheckResult {
  const used = new Map<string, { cpuMillis: number; memoryBytes: number }>();
  for (const p of sim.planOf(observer).placed) {
    const sum = used.get(p.assignment.node) ?? { cpuMillis: 0, memoryBytes: 0 };
    sum.cpuMillis += p.workload.demand.resources.cpuMillis;
    sum.memoryBytes += p.workload.demand.resources.memoryBytes;
    used.set(p.assignment.node, sum);
  }
  for (const [node, sum] of used) {
    const capacity = sim.capacityOf(node);
    if (capacity === undefined || sum.cpuMillis > capacity.cpuMillis || sum.memoryBytes > capacity.memoryBytes) {
      return { ok: false, detail: `${node} holds ${sum.cpuMillis}m and ${sum.memoryBytes} B, capacity ${capacity?.cpuMillis ?? 0}m and ${capacity?.memoryBytes ?? 0} B` };
    }
  }
  return pass;
}

/** The agents run each slot of `slots` on exactly one node, and, where given, on the one expected. */
export function runsOnce(sim: SchedulingObservation, slots: readonly string[], expected?: ReadonlyMap<string, string>): CheckResult {
  for (const slot of slots) {
    const runners = [...sim.agent.runnersOf(slot)];
    if (runners.length !== 1) return { ok: false, detail: `${slot} runs on ${runners.length} nodes (${runners.join(', ')})` };
    const want = expected?.get(slot);
    if (want !== undefined && runners[0] !== want) return { ok: false, detail: `${slot} runs on ${runners[0]}, expected ${want}` };
  }
  return pass;
}

/** No sample in [fromMs, toMs] saw a slot running on two nodes at once. */
export function noDuplicates(samples: readonly { atMs: number; slots: number }[], fromMs = 0, toMs = Number.POSITIVE_INFINITY): CheckResult {
  const hit = samples.find((s) => s.atMs >= fromMs && s.atMs <= toMs);
  return hit === undefined ? pass : { ok: false, detail: `${hit.slots} slot(s) ran on two nodes at ${Math.round(hit.atMs)} ms` };
}

/** The slots of `workload` each node runs now, as the agents run them. */
function runningByNode(sim: SchedulingObservation, workload: string): Map<string, string[]> {
  const byNode = new Map<string, string[]>();
  for (const [slot, nodes] of sim.agent.slots()) {
    if (slot.slice(0, slot.lastIndexOf('#')) !== workload) continue;
    for (const node of nodes) byNode.set(node, [...(byNode.get(node) ?? []), slot]);
  }
  return byNode;
}

const globalWorkloads = (view: ClusterView): WorkloadInfo[] => view.workloads.filter((w) => w.global === true);

/** No node runs two replicas of one global workload, whatever any view says. */
export function atMostOnePerNode(sim: SchedulingObservation): CheckResult {
  const [first] = sim.liveIds();
  if (first === undefined) return { ok: false, detail: 'no live node' };
  for (const workload of globalWorkloads(sim.viewOf(first))) {
    for (const [node, slots] of runningByNode(sim, workload.key)) {
      if (slots.length > 1) return { ok: false, detail: `${node} runs ${slots.length} replicas of global ${workload.key} (${slots.sort().join(', ')})` };
    }
  }
  return pass;
}

/** Every live node whose labels the constraints allow runs exactly one replica of each global workload: a settled cluster. */
export function onePerLiveNode(sim: SchedulingObservation): CheckResult {
  const [first] = sim.liveIds();
  if (first === undefined) return { ok: false, detail: 'no live node' };
  const view = sim.viewOf(first);
  for (const workload of globalWorkloads(view)) {
    const running = runningByNode(sim, workload.key);
    for (const id of sim.liveIds()) {
      const labels = view.nodes.get(id)?.labels ?? {};
      if (!workload.demand.constraints.every((c) => constraintHolds(c, labels))) continue;
      const slots = running.get(id) ?? [];
      if (slots.length !== 1)
        return { ok: false, detail: `${id} runs ${slots.length} replicas of global ${workload.key}${slots.length > 0 ? ` (${slots.sort().join(', ')})` : ''}` };
    }
  }
  return pass;
}
