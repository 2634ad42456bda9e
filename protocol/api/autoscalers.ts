import type { AutoscalerStatus } from '../autoscale/autoscaler.js';

/**
 * Every autoscaled workload as the node asked sees it (`GET /v1/autoscalers`): its bounds,
 * metrics, the count now and where it is going, who decides. A field that is undefined
 * is absent from the JSON.
 */
export type AutoscalersJson = AutoscalerStatus[];
