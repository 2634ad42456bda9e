import type { Liveness } from '../../../protocol/scheduler/view.js';
import { Partition } from '../network.js';

/**
 * The truth the simulated nodes only learn about late: which nodes are up, and which
 * can reach which. Observers' membership views and document replicas follow it with
 * delays; the simulation asks it what each should converge to.
 */
export class World {
  readonly partition = new Partition();
  private readonly down = new Set<string>();
  /** Live nodes the others' failure detectors hold dead anyway: a host so starved it missed its probes. */
  private readonly falselyDead = new Set<string>();

  isUp(id: string): boolean {
    return !this.down.has(id);
  }

  setUp(id: string, up: boolean): void {
    if (up) this.down.delete(id);
    else this.down.add(id);
  }

  /** Whether the others' failure detectors wrongly hold the live node `id` dead; it runs on and is reached as before. */
  setFalselyDead(id: string, dead: boolean): void {
    if (dead) this.falselyDead.add(id);
    else this.falselyDead.delete(id);
  }

  /** A message or a delta from `a` gets to `b` now. */
  reaches(a: string, b: string): boolean {
    return this.isUp(b) && this.partition.connected(a, b);
  }

  /** What `observer`'s membership view converges to about `subject`. */
  truthAbout(observer: string, subject: string): Liveness {
    if (observer !== subject && this.falselyDead.has(subject)) return 'dead';
    return this.isUp(subject) && this.partition.connected(observer, subject) ? 'alive' : 'dead';
  }
}
