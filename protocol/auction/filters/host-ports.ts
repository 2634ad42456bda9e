import type { Filter } from './index.js';

export const hostPortsFree: Filter = (demand, candidate) => {
  const taken = demand.hostPorts.find((port) => candidate.hostPortsInUse.has(port));
  return taken === undefined ? { ok: true } : { ok: false, reason: 'host-port-in-use', detail: `host port ${taken} is in use` };
};
