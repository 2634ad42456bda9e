/** One thing that happened on a node (`GET /v1/events`, `GET /v1/cluster/events`), for `shoal describe` and `shoal events`. */
export interface NodeEvent {
  atMs: number;
  node: string;
  kind: string;
  /** The object it concerns, e.g. `Workload/default/web`. */
  object: string;
  message: string;
}
