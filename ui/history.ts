// The last minutes of each node's usage, kept in the browser from the snapshots it was
// sent (the server keeps no history for the dashboard). Pure: unit-tested in test/unit/ui/.
import type { DashboardSnapshot } from '../protocol/api/dashboard.js';

/** How far back the plots go. */
export const HISTORY_WINDOW_MS = 5 * 60_000;

export interface NodeUsage {
  cpuMillis: number;
  memoryBytes: number;
}

/** What one snapshot said of the nodes' usage; a node without a report is absent. */
export interface UsageSample {
  atMs: number;
  nodes: ReadonlyMap<string, NodeUsage>;
}

export interface SeriesPoint {
  atMs: number;
  /** null: the node had no report at that time (the line has a gap there). */
  value: number | null;
}

export interface Series {
  node: string;
  points: SeriesPoint[];
}

export function sampleOf(snapshot: DashboardSnapshot): UsageSample {
  const nodes = new Map<string, NodeUsage>();
  for (const node of snapshot.nodes) {
    if (node.usage !== undefined) nodes.set(node.id, { cpuMillis: node.usage.cpuMillis, memoryBytes: node.usage.memoryBytes });
  }
  return { atMs: snapshot.atMs, nodes };
}

/**
 * The samples with this snapshot's added last, less those older than `windowMs` before
 * it. Samples at or after its time go too: the answering node's clock stepped back (or
 * the browser now hears another node), and a line must not run back in time.
 */
export function appendSample(samples: readonly UsageSample[], snapshot: DashboardSnapshot, windowMs = HISTORY_WINDOW_MS): UsageSample[] {
  const since = snapshot.atMs - windowMs;
  return [...samples.filter((s) => s.atMs >= since && s.atMs < snapshot.atMs), sampleOf(snapshot)];
}

/** One series per node seen in any sample (sorted by id), a point per sample. */
export function nodeSeries(samples: readonly UsageSample[], value: (usage: NodeUsage) => number): Series[] {
  const nodes = [...new Set(samples.flatMap((s) => [...s.nodes.keys()]))].sort();
  return nodes.map((node) => ({
    node,
    points: samples.map((s) => {
      const usage = s.nodes.get(node);
      return { atMs: s.atMs, value: usage === undefined ? null : value(usage) };
    }),
  }));
}
