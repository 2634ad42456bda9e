import { freeOf } from '../resources.js';
import type { Filter } from './index.js';

export const resourcesFit: Filter = (demand, candidate) => {
  const free = freeOf(candidate.capacity, candidate.allocated);
  if (demand.resources.cpuMillis > free.cpuMillis) {
    return { ok: false, reason: 'insufficient-cpu', detail: `needs ${demand.resources.cpuMillis}m, ${free.cpuMillis}m free` };
  }
  if (demand.resources.memoryBytes > free.memoryBytes) {
    return { ok: false, reason: 'insufficient-memory', detail: `needs ${demand.resources.memoryBytes} B, ${free.memoryBytes} B free` };
  }
  return { ok: true };
};
