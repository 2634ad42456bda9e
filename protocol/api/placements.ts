/** One slot as `GET /v1/placements` gives it and `shoal get placements` shows it. */
export interface PlacementJson {
  workload: string;
  namespace: string;
  name: string;
  slot: number;
  epoch: number | null;
  node: string | null;
  /** The node as this one sees it: alive, suspect (unreachable), dead, left, or unknown. */
  nodeState: string;
  /**
   * The replica's state: for a slot on the node asked, as its runtime says now; for one
   * on another node, as that node last reported it; or why the slot has no node.
   */
  state: string;
  /** `runtime` (asked now), `report` (the node's last status), or null for a slot with no node. */
  source: 'runtime' | 'report' | null;
  /** For a report: how long ago its node wrote it, by that node's clock (so roughly, under skew); else null. */
  reportedAgoMs: number | null;
  restarts: number;
  /** Running, and passing its readiness probe if it has one. */
  ready: boolean;
  /** The spec version (revision) the replica runs. */
  version: string | null;
  address: string | null;
  hostPorts: number[];
  message: string | null;
}
