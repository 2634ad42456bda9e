import type { Reach } from '../relay/reach.js';
import type { MemberState, MemberView } from '../swim/index.js';

/** A member as `GET /v1/nodes` and `shoal nodes -o json` show it. */
export interface NodeJson {
  id: string;
  addrs: string[];
  state: MemberState;
  incarnation: number;
  labels: Record<string, string>;
  capacity: { cpuMillis: number; memoryBytes: number };
  version: string;
  lastChange: string | null;
  /** Whether the document admits the member: until then its writes count nowhere. */
  admitted: boolean;
  /** How the answering node reaches the member now: `self` for the answering node, null with no connection open to it. */
  reach: Reach | 'self' | null;
}

export const nodeJson = (view: MemberView, admitted: boolean, reach: Reach | 'self' | null = null): NodeJson => ({
  id: view.record.id,
  addrs: view.record.addrs,
  state: view.state,
  incarnation: view.incarnation,
  labels: view.record.labels,
  capacity: view.record.capacity,
  version: view.record.version,
  lastChange: view.stateChangedAtMs > 0 ? new Date(view.stateChangedAtMs).toISOString() : null,
  admitted,
  reach,
});
