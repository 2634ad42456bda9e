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

  isUp(id: string): boolean {
    return !this.down.has(id);
  }

  setUp(id: string, up: boolean): void {
    if (up) this.down.delete(id);
    else this.down.add(id);
  }

  /** A message or a delta from `a` gets to `b` now. */
  reaches(a: string, b: string): boolean {
    return this.isUp(b) && this.partition.connected(a, b);
  }

  /** What `observer`'s membership view converges to about `subject`. */
  truthAbout(observer: string, subject: string): Liveness {
    return this.isUp(subject) && this.partition.connected(observer, subject) ? 'alive' : 'dead';
  }
}
