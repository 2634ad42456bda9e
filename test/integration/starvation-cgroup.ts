import { existsSync, mkdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** cgroup v2's magic number (statfs f_type): /sys/fs/cgroup is the unified hierarchy. */
const CGROUP2_SUPER_MAGIC = 0x63677270;
const PERIOD_US = 100_000;
/** How long removing the groups may wait for killed processes to be reaped. */
const REMOVE_WITHIN_MS = 30_000;

/**
 * CPU quotas for the starvation scenario: one cgroup per node, each allowed `share` of a
 * core (cgroup v2's cpu.max, or v1's cfs_quota_us over cfs_period_us). A process is put in
 * when it is forked: `spawnInside` moves this process into the group, runs the spawn (a
 * synchronous fork), and moves it back, so a node is starved from its first instruction
 * and every replica it starts later is starved with it. `remove` ends every group,
 * moving whatever still runs in one back to where this process lives.
 */
export class CpuQuotas {
  private constructor(
    readonly version: 'v1' | 'v2',
    /** The directory the groups are made in, and the one this process came from. */
    private readonly root: string,
    private readonly home: string,
    private readonly groups: string[],
  ) {}

  /**
   * `count` groups named `<name>-<i>` (1-based) of `share` of a core each; or why not, where
   * this host gives no CPU controller to write to, or no permission.
   */
  static async create(name: string, count: number, share: number): Promise<CpuQuotas | string> {
    const version = cgroupVersion();
    if (version === undefined) return 'no cgroup CPU controller at /sys/fs/cgroup (neither cgroup v2 nor v1 with a cpu hierarchy)';
    const { root, home } = version === 'v2' ? v2Paths() : v1Paths();
    const parent = join(root, name);
    const groups: string[] = [];
    try {
      mkdirSync(parent, { recursive: true });
      if (version === 'v2') writeFileSync(join(parent, 'cgroup.subtree_control'), '+cpu');
      for (let i = 1; i <= count; i++) {
        const group = join(parent, `${name}-${i}`);
        mkdirSync(group, { recursive: true });
        groups.push(group);
        const quotaUs = Math.round(share * PERIOD_US);
        if (version === 'v2') writeFileSync(join(group, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
        else {
          writeFileSync(join(group, 'cpu.cfs_period_us'), String(PERIOD_US));
          writeFileSync(join(group, 'cpu.cfs_quota_us'), String(quotaUs));
        }
      }
    } catch (e) {
      await new CpuQuotas(version, parent, home, groups).remove();
      return `cannot make CPU cgroups under ${root}: ${(e as Error).message}`;
    }
    return new CpuQuotas(version, parent, home, groups);
  }

  /** Runs `spawn` with this process in group `i` (1-based), so the child forked inside it starts there. */
  spawnInside<T>(i: number, spawn: () => T): T {
    this.enter(i);
    try {
      return spawn();
    } finally {
      this.goHome();
    }
  }

  /** Moves this process into group `i` (1-based): what it forks from now on starts there. */
  enter(i: number): void {
    const group = this.groups[i - 1];
    if (group === undefined) throw new RangeError(`no CPU group ${i}`);
    writeFileSync(join(group, 'cgroup.procs'), String(process.pid));
  }

  /** Moves this process back to the group it came from. */
  goHome(): void {
    writeFileSync(join(this.home, 'cgroup.procs'), String(process.pid));
  }

  /** How long group `i`'s processes were held back for its quota so far, in ms (cpu.stat). */
  throttledMs(i: number): number {
    const group = this.groups[i - 1];
    if (group === undefined) return 0;
    const stat = readFileSync(join(group, 'cpu.stat'), 'utf8');
    const v2 = /^throttled_usec (\d+)/m.exec(stat);
    if (v2 !== null) return Number(v2[1]) / 1000;
    const v1 = /^throttled_time (\d+)/m.exec(stat);
    return v1 === null ? 0 : Number(v1[1]) / 1e6;
  }

  /** Every group's quota lifted: what runs in them runs as fast as the host lets it. */
  lift(): void {
    for (const group of this.groups) {
      if (this.version === 'v2') writeFileSync(join(group, 'cpu.max'), `max ${PERIOD_US}`);
      else writeFileSync(join(group, 'cpu.cfs_quota_us'), '-1');
    }
  }

  /**
   * Moves what still runs in the groups home, and removes them. A process killed just
   * before (a hog, a node's child) stays in its group until it is reaped, and the group
   * is busy till then: tried again for a while, however slowly a loaded host reaps.
   */
  async remove(): Promise<void> {
    for (const deadline = Date.now() + REMOVE_WITHIN_MS; ; ) {
      try {
        this.removeOnce();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || Date.now() > deadline) throw e;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  private removeOnce(): void {
    for (const group of [...this.groups, this.root]) {
      if (!existsSync(group)) continue;
      for (const pid of procsOf(group)) {
        try {
          writeFileSync(join(this.home, 'cgroup.procs'), pid);
        } catch {
          // It ended meanwhile.
        }
      }
    }
    for (const group of [...this.groups].reverse()) if (existsSync(group)) rmdirSync(group);
    if (existsSync(this.root)) rmdirSync(this.root);
  }
}

function cgroupVersion(): 'v1' | 'v2' | undefined {
  try {
    if (statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC) return 'v2';
  } catch {
    return undefined;
  }
  return existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ? 'v1' : undefined;
}

/** v2: groups at the top (a group with children may hold no process, so not under ours); home is where this process is. */
function v2Paths(): { root: string; home: string } {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  return { root: '/sys/fs/cgroup', home: join('/sys/fs/cgroup', line?.slice(3) ?? '/') };
}

/** v1: the cpu hierarchy, under the group this process is in. */
function v1Paths(): { root: string; home: string } {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(l));
  const path = line?.split(':')[2] ?? '/';
  const home = join('/sys/fs/cgroup/cpu', path);
  return { root: home, home };
}

function procsOf(group: string): string[] {
  try {
    return readFileSync(join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
