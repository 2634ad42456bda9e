import type { ClusterDocument } from '../../crdt/document.js';
import { AUTOSCALE_DECISION_FIELD, autoscaleBounds, autoscaleDecisionOf, autoscaleKeyOf, type AutoscaleDecision } from '../node-writes.js';

export interface AutoscaledCount {
  replicas: number;
  bounds: { min: number; max: number };
  decision: AutoscaleDecision | undefined;
}

/**
 * The replica count of an autoscaled workload: its latest counted decision, or until one
 * exists the operator's `replicas`, always within the operator's bounds. Undefined for a
 * workload that does not autoscale. A decision outside the bounds never counted (the
 * merge judges it), and the clamp covers the operator's own count.
 */
export function autoscaledCount(document: ClusterDocument, workload: string, operatorReplicas: number): AutoscaledCount | undefined {
  const bounds = autoscaleBounds(document.get(workload));
  const key = autoscaleKeyOf(workload);
  if (bounds === undefined || key === undefined) return undefined;
  const decision = autoscaleDecisionOf(document.get(key)?.[AUTOSCALE_DECISION_FIELD]);
  return { replicas: Math.min(bounds.max, Math.max(bounds.min, decision?.replicas ?? operatorReplicas)), bounds, decision };
}
