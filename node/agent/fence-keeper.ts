import type { Logger } from 'pino';
import { keeperStep } from '../../protocol/agent/majority-fence.js';
import { lockPidFile } from '../data-dir.js';
import { monotonicMs } from '../lease-clock.js';
import { DockerRuntime } from './docker-runtime.js';
import { fenceKeeperLockPath, readFenceRecord } from './fence-record.js';
import { ProcessRuntime } from './process-runtime.js';
import type { ContainerRuntime } from './runtime.js';

/** Often enough that a replica is removed well inside the majority side's margin (a fence time). */
const LOOK_EVERY_MS = 250;

/**
 * `shoal fence-keeper`: started by a node that runs `majority` replicas, in a process (or
 * a container) of its own, so it outlives the node's (fence-keeper-launch.ts). It removes them once the node's lease has run out:
 * when the node is killed, hangs, or is cut off and cannot remove them itself. It exits
 * once nothing is left to guard; a second keeper for the same data directory exits at once.
 */
export async function runFenceKeeper(dataRoot: string, log: Logger): Promise<void> {
  const locked = lockPidFile(fenceKeeperLockPath(dataRoot));
  if ('heldBy' in locked) return;
  const runtimes = new Map<string, ContainerRuntime>();
  const runtimeFor = (kind: 'docker' | 'process', replicasDir: string): ContainerRuntime => {
    const key = `${kind}:${replicasDir}`;
    let runtime = runtimes.get(key);
    if (runtime === undefined) {
      runtime = kind === 'docker' ? new DockerRuntime({ log }) : new ProcessRuntime({ dir: replicasDir, log });
      runtimes.set(key, runtime);
    }
    return runtime;
  };
  const removed = new Set<string>();
  try {
    for (;;) {
      const record = readFenceRecord(dataRoot);
      const step = keeperStep(record, monotonicMs(), removed);
      if (step.exit || record === undefined) return;
      for (const id of step.remove) {
        log.warn({ replica: id }, 'the node has not seen a majority within its fence time: removing its majority replica');
        await runtimeFor(record.runtime, record.replicasDir)
          .remove(id, record.graceMs)
          .then(() => removed.add(id))
          .catch((e: unknown) => log.warn({ replica: id, error: String(e) }, 'could not remove the replica; trying again'));
      }
      await new Promise((r) => setTimeout(r, LOOK_EVERY_MS));
    }
  } finally {
    locked.release();
    await Promise.all([...runtimes.values()].map((r) => r.close()));
  }
}
