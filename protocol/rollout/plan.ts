/**
 * A rolling update with no coordinator: every node derives, from the same document,
 * which revision each slot should run. Slots move to the target revision in index
 * order, at most `maxUnavailable + maxSurge` at a time; a slot moves only when the
 * slots before it run the target revision and are ready. The first `maxSurge` slots
 * moving start their new replica beside the old one, which stops once the new is ready.
 * An old slot that is not ready counts as unavailable, as Kubernetes counts it, and
 * moves at once: replacing it takes nothing available away (Kubernetes scales unhealthy
 * old pods down first for the same reason), so a crash-looping revision is replaced
 * without waiting, and a ready one does not move while another is down.
 * A revision some node saw fail is never a target: the newest good one is.
 */
export interface RolloutPolicy {
  maxUnavailable: number;
  maxSurge: number;
  progressDeadlineMs: number;
}

export const defaultRolloutPolicy: RolloutPolicy = { maxUnavailable: 1, maxSurge: 0, progressDeadlineMs: 120_000 };

/** The workload's `spec.rollout`, as validated at apply time; the defaults otherwise. */
export function rolloutPolicyOf(value: unknown): RolloutPolicy {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return defaultRolloutPolicy;
  const r = value as Record<string, unknown>;
  const count = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fallback);
  return {
    maxUnavailable: count(r.maxUnavailable, defaultRolloutPolicy.maxUnavailable),
    maxSurge: count(r.maxSurge, defaultRolloutPolicy.maxSurge),
    progressDeadlineMs: typeof r.progressDeadlineSeconds === 'number' ? r.progressDeadlineSeconds * 1000 : defaultRolloutPolicy.progressDeadlineMs,
  };
}

export interface SlotProgress {
  index: number;
  /** The spec version its replica runs, by its node's status; undefined before it ran. */
  version: string | undefined;
  ready: boolean;
}

export interface SlotTarget {
  version: string;
  /** Start the new replica beside the old and stop the old once the new is ready. */
  surge: boolean;
}

export interface RolloutPlan {
  /** The revision the workload converges on. */
  target: string;
  /** The workload's own spec version, when it failed and `target` is the revision rolled back to. */
  rolledBackFrom: string | undefined;
  slots: Map<number, SlotTarget>;
  /** Slots running the target and ready. */
  updated: number;
  complete: boolean;
}

export interface RolloutInput {
  /** The workload's spec version now. */
  current: string;
  /** Oldest first. */
  revisions: readonly string[];
  failed: ReadonlySet<string>;
  slots: readonly SlotProgress[];
  policy: RolloutPolicy;
}

function targetOf(input: RolloutInput): string {
  if (!input.failed.has(input.current)) return input.current;
  const good = [...input.revisions].reverse().find((v) => v !== input.current && !input.failed.has(v));
  return good ?? input.current;
}

export function planRollout(input: RolloutInput): RolloutPlan {
  const target = targetOf(input);
  const known = new Set([...input.revisions, target]);
  const window = Math.max(1, input.policy.maxUnavailable + input.policy.maxSurge);
  const ordered = [...input.slots].sort((a, b) => a.index - b.index);
  const isOld = (slot: SlotProgress): boolean => slot.version !== undefined && slot.version !== target && known.has(slot.version);
  // Slots on the target but not ready are mid-move, and old ones not ready are down: both hold the window first.
  let unavailable = ordered.filter((s) => !s.ready && (s.version === target || isOld(s))).length;
  let surged = 0;
  const slots = new Map<number, SlotTarget>();
  for (const slot of ordered) {
    if (!isOld(slot) || !slot.ready) {
      // On the target already, never ran (nothing to keep), or old and down (nothing available to lose): it runs the target.
      slots.set(slot.index, { version: target, surge: false });
    } else if (unavailable < window) {
      unavailable++;
      const surge = surged < input.policy.maxSurge;
      if (surge) surged++;
      slots.set(slot.index, { version: target, surge });
    } else slots.set(slot.index, { version: slot.version as string, surge: false });
  }
  const updated = ordered.filter((s) => s.version === target && s.ready).length;
  return { target, rolledBackFrom: target === input.current ? undefined : input.current, slots, updated, complete: updated === input.slots.length };
}
