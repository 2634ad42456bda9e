/** The parts of the engine's stats answer usage reads; any may be missing (a container that just stopped). */
export interface DockerStatsReading {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number | undefined> };
}

export interface DockerUsage {
  cpuNanos: number;
  memoryBytes: number;
  /** When the engine read the cgroup; undefined when it did not say. */
  atMs: number | undefined;
}

/**
 * Memory as `docker stats` shows it: the cgroup's usage less its inactive page cache
 * (total_inactive_file on cgroup v1, inactive_file on v2), which the kernel reclaims
 * before it would kill anything.
 */
export function dockerMemoryBytes(memory: DockerStatsReading['memory_stats']): number {
  const usage = memory?.usage ?? 0;
  const stats = memory?.stats ?? {};
  const inactive = 'total_inactive_file' in stats ? stats.total_inactive_file : stats.inactive_file;
  return inactive !== undefined && inactive < usage ? usage - inactive : usage;
}

/** The engine writes 0001-01-01T00:00:00Z for a time it does not have. */
function readAtMs(read: string | undefined): number | undefined {
  const ms = read === undefined ? Number.NaN : Date.parse(read);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export function dockerUsage(stats: DockerStatsReading): DockerUsage {
  return { cpuNanos: stats.cpu_stats?.cpu_usage?.total_usage ?? 0, memoryBytes: dockerMemoryBytes(stats.memory_stats), atMs: readAtMs(stats.read) };
}
