/** CPU in millicores and memory in bytes: what a replica asks for and what a node offers. */
export interface Resources {
  cpuMillis: number;
  memoryBytes: number;
}

export const NO_RESOURCES: Resources = { cpuMillis: 0, memoryBytes: 0 };

export const addResources = (a: Resources, b: Resources): Resources => ({
  cpuMillis: a.cpuMillis + b.cpuMillis,
  memoryBytes: a.memoryBytes + b.memoryBytes,
});

export const fitsWithin = (demand: Resources, free: Resources): boolean => demand.cpuMillis <= free.cpuMillis && demand.memoryBytes <= free.memoryBytes;

export const freeOf = (capacity: Resources, used: Resources): Resources => ({
  cpuMillis: capacity.cpuMillis - used.cpuMillis,
  memoryBytes: capacity.memoryBytes - used.memoryBytes,
});
