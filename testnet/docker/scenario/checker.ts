import { canonicalJson, type Json } from '../../../crdt/index.js';
import { workloadInfo } from '../../../protocol/scheduler/from-document.js';
import { KEEPS_EVERY_NODE_UP, type ClientOp, type History } from './history.js';
import { fieldsWritten, registers, sameOutcome, type Outcome } from './registers.js';
import { slotCensus } from './slots.js';
import type { NodeSnapshot, NodeView, RunningReplica, Snapshot, WorkloadObject } from './snapshot.js';
import type { Sample } from './timeline.js';

/**
 * The checks after a heal, as pure functions of the history and the snapshot:
 * - digests: every node answers and all hold the same set of deltas;
 * - documents: every workload has the same fields on every node;
 * - writes: no acknowledged write is lost (see registers.ts for the exact rule);
 * - slots: each slot of the document has exactly one running container, and no
 *   container runs for a deleted workload or an index past the replica count;
 * - capacity: on each node, the running replicas' requests fit its capacity;
 * - equivocations: no node reported one (the clients are one honest operator);
 * - alive: under a fault that takes no node down (a skewed clock, lost packets, a node
 *   slowed to a tenth of a core), no node holds a member dead and no slot runs twice, from
 *   the fault to the end: slow is not dead. Read from the samples, so a snapshot alone
 *   finds nothing here.
 */
export type CheckName = 'digests' | 'documents' | 'writes' | 'slots' | 'capacity' | 'equivocations' | 'alive';

export interface Violation {
  check: CheckName;
  detail: string;
  /** The acknowledged delta a lost-write violation names. */
  delta?: string;
}

/** `alive` is absent from results made before it was checked. */
export type CheckResults = Record<Exclude<CheckName, 'alive'>, Violation[]> & { alive?: Violation[] };

type Answered = NodeSnapshot & { view: NodeView };
const answered = (snapshot: Snapshot): Answered[] => snapshot.nodes.filter((n): n is Answered => n.view !== null);

export function checkDigests(snapshot: Snapshot): Violation[] {
  const silent = snapshot.nodes.filter((n) => n.view === null).map((n) => ({ check: 'digests' as const, detail: `${n.node} did not answer: ${n.error}` }));
  const byDigest = groupBy(answered(snapshot), (n) => n.view.digest);
  if (byDigest.size <= 1) return silent;
  const groups = [...byDigest].map(([digest, nodes]) => `${nodes.map((n) => n.node).join(',')} hold ${digest}`);
  return [...silent, { check: 'digests', detail: `the nodes hold different deltas: ${groups.join('; ')}` }];
}

export function checkDocuments(snapshot: Snapshot): Violation[] {
  const nodes = answered(snapshot);
  const keys = [...new Set(nodes.flatMap((n) => n.view.workloads.map((w) => w.key)))].sort();
  return keys.flatMap((key) => {
    const byFields = groupBy(nodes, (n) => canonicalFields(n.view.workloads.find((w) => w.key === key)));
    if (byFields.size <= 1) return [];
    const groups = [...byFields].map(([fields, holders]) => `${holders.map((n) => n.node).join(',')}: ${fields}`);
    return [{ check: 'documents' as const, detail: `${key} differs between nodes: ${groups.join('; ')}` }];
  });
}

export function checkWrites(history: History, snapshot: Snapshot): Violation[] {
  const expected = registers(history.ops);
  return answered(snapshot).flatMap((n) => {
    const lost = expected.flatMap((r) => {
      const shown = outcomeOn(n.view, r.workload, r.field);
      if (r.allowed.some((a) => sameOutcome(a, shown))) return [];
      const detail = `${n.node} shows ${r.workload} ${r.field} = ${describe(shown)}`;
      if (r.last === undefined) return [{ check: 'writes' as const, detail: `${detail}, which no write of the history explains` }];
      const by = `${r.last.client} ${r.last.kind} through ${r.last.node}, acknowledged at ${new Date(r.last.endMs).toISOString()}`;
      return [{ check: 'writes' as const, detail: `${detail}, not ${describe(r.allowed[0] as Outcome)} of delta ${deltaOf(r.last)} (${by})`, delta: deltaOf(r.last) }];
    });
    return [...lost, ...unexplainedFields(history, n)];
  });
}

export function checkSlots(snapshot: Snapshot): Violation[] {
  const census = slotCensus(referenceWorkloads(snapshot), snapshot.replicas);
  const name = nodeNamer(snapshot);
  const where = (replicas: readonly RunningReplica[]): string => replicas.map((r) => `${r.container.slice(0, 12)} on ${name(r.node)} (epoch ${r.epoch})`).join(', ');
  return [
    ...census.missing.map((slot) => ({ check: 'slots' as const, detail: `${slot} runs nowhere` })),
    ...census.duplicated.map((slot) => ({ check: 'slots' as const, detail: `${slot} runs ${census.running.get(slot)?.length} times: ${where(census.running.get(slot) ?? [])}` })),
    ...census.orphans.map((r) => ({ check: 'slots' as const, detail: `${r.workload}#${r.slot} is no slot of the document but runs: ${where([r])}` })),
  ];
}

export function checkCapacity(snapshot: Snapshot): Violation[] {
  const workloads = new Map(referenceWorkloads(snapshot).map((w) => [w.key, workloadInfo(w.key, w.fields).demand.resources]));
  const members = answered(snapshot).flatMap((n) => n.view.members);
  const name = nodeNamer(snapshot);
  return [...groupBy(snapshot.replicas, (r) => r.node)].flatMap(([node, replicas]) => {
    const capacity = members.find((m) => m.id === node)?.capacity;
    if (capacity === undefined) return [{ check: 'capacity' as const, detail: `${name(node)} runs ${replicas.length} replicas but no node knows its capacity` }];
    const requests = replicas.map((r) => workloads.get(r.workload) ?? { cpuMillis: 0, memoryBytes: 0 });
    const cpu = requests.reduce((sum, r) => sum + r.cpuMillis, 0);
    const memory = requests.reduce((sum, r) => sum + r.memoryBytes, 0);
    if (cpu <= capacity.cpuMillis && memory <= capacity.memoryBytes) return [];
    return [
      {
        check: 'capacity' as const,
        detail: `${name(node)} runs ${replicas.length} replicas asking ${cpu}m CPU and ${memory} B, over its ${capacity.cpuMillis}m and ${capacity.memoryBytes} B`,
      },
    ];
  });
}

/**
 * The clients are one operator writing through several nodes at once, as a team does: a
 * node that reports that as an equivocation cries wolf, and would hide a real one.
 */
export function checkEquivocations(snapshot: Snapshot): Violation[] {
  return answered(snapshot).flatMap((n) =>
    n.view.equivocations.length === 0
      ? []
      : [{ check: 'equivocations' as const, detail: `${n.node} reported ${n.view.equivocations.length} equivocations, the last ${JSON.stringify(n.view.equivocations.at(-1))}` }],
  );
}

/**
 * For each fault that keeps every node up: a node whose death counter rose after the
 * fault began (from its last sample before it) held a live member dead; a slot seen
 * running on two nodes ran twice though no node was away.
 */
export function checkAlive(history: History, samples: readonly Sample[]): Violation[] {
  return history.faults
    .filter((f) => KEEPS_EVERY_NODE_UP.has(f.kind))
    .flatMap((fault) => {
      const before = samples.filter((s) => s.atMs < fault.startMs);
      const after = samples.filter((s) => s.atMs >= fault.startMs);
      const at = (ms: number): string => `+${((ms - fault.startMs) / 1000).toFixed(1)} s after ${fault.name} began`;
      const deathsOf = (s: Sample, i: number): number | undefined => s.deaths?.[i] ?? undefined;
      const deaths = (after[0]?.deaths ?? []).flatMap((_, i) => {
        const baseline = before.map((s) => deathsOf(s, i)).findLast((d) => d !== undefined);
        if (baseline === undefined) return [];
        const risen = after.find((s) => (deathsOf(s, i) ?? baseline) > baseline);
        if (risen === undefined) return [];
        const last = after.map((s) => deathsOf(s, i)).findLast((d) => d !== undefined) ?? baseline;
        return [{ check: 'alive' as const, detail: `node-${i + 1} held a live member dead, ${last - baseline} time(s), first by ${at(risen.atMs)}` }];
      });
      const twice = [...new Set(after.flatMap((s) => s.duplicated))].map((slot) => {
        const first = after.find((s) => s.duplicated.includes(slot)) as Sample;
        return { check: 'alive' as const, detail: `${slot} ran twice (${first.duplicatedOn[slot]?.join(', ')}) at ${at(first.atMs)}, though no node was down` };
      });
      return [...deaths, ...twice];
    });
}

/** Every check; `samples` (the sampler's record of the scenario) for the alive check, which without them finds nothing. */
export function checkAll(history: History, snapshot: Snapshot, samples: readonly Sample[] = []): CheckResults {
  return {
    digests: checkDigests(snapshot),
    documents: checkDocuments(snapshot),
    writes: checkWrites(history, snapshot),
    slots: checkSlots(snapshot),
    capacity: checkCapacity(snapshot),
    equivocations: checkEquivocations(snapshot),
    alive: checkAlive(history, samples),
  };
}

/** Acknowledged writes some node does not reflect, each counted once however many nodes miss it. */
export const writesLost = (results: CheckResults): number => new Set(results.writes.flatMap((v) => v.delta ?? [])).size;

export const passed = (results: CheckResults): boolean => Object.values(results).every((v) => v.length === 0);

/**
 * The document the slot and capacity checks read: the first node that answered. The
 * documents check already fails when nodes disagree, so the choice only shapes details.
 */
function referenceWorkloads(snapshot: Snapshot): WorkloadObject[] {
  return answered(snapshot)[0]?.view.workloads ?? [];
}

/** A field the history never wrote, on an object the history did write: something invented it. */
function unexplainedFields(history: History, n: Answered): Violation[] {
  const written = new Set(history.ops.map((op) => op.workload));
  return n.view.workloads
    .filter((w) => written.has(w.key))
    .flatMap((w) => {
      const known = new Set(fieldsWritten(history.ops.filter((op) => op.workload === w.key && op.stamp !== null)));
      return Object.keys(w.fields)
        .filter((f) => !known.has(f))
        .map((f) => ({ check: 'writes' as const, detail: `${n.node} shows ${w.key} ${f} = ${canonicalJson(w.fields[f] as Json)}, which no write of the history set` }));
    });
}

function outcomeOn(view: NodeView, workload: string, field: string): Outcome {
  const value = view.workloads.find((w) => w.key === workload)?.fields[field];
  return value === undefined ? { present: false } : { present: true, value };
}

const describe = (outcome: Outcome): string => (outcome.present ? canonicalJson(outcome.value) : 'nothing');
const deltaOf = (op: ClientOp): string => (op.result.ok ? op.result.delta : '');
const canonicalFields = (w: WorkloadObject | undefined): string => (w === undefined ? 'absent' : canonicalJson(w.fields));

function nodeNamer(snapshot: Snapshot): (peerId: string) => string {
  const names = new Map(snapshot.nodes.map((n) => [n.peerId, n.node]));
  return (peerId) => names.get(peerId) ?? peerId;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
