import type { ObjectValue } from '../../crdt/index.js';

/** A workload's rollout as `GET /v1/workloads/:namespace/:name/rollout` gives it and `shoal rollout` shows it. */
export interface RolloutJson {
  workload: string;
  current: string;
  target: string;
  rolledBackFrom: string | null;
  replicas: number;
  updated: number;
  complete: boolean;
  revisions: { number: number; version: string; createdAtMs: number; image: string; fields: ObjectValue; failed: string | null }[];
}
