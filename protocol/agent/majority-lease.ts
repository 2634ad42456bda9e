import { leaseRunOut, type MajorityLease } from './majority-fence.js';

/**
 * The one owner of a node's majority lease: when the node last saw a majority, which
 * `majority` replicas it guards, and the record its fence keeper acts on. The keeper
 * reads only the record as last written, and the record is rewritten at a cadence, so
 * the node judges its own right to run a `majority` replica by that same record: were
 * it to judge by a fresher sighting, the keeper could remove a replica that the node
 * then starts again (issue 20, item 1).
 *
 * Times are on one clock that the node and its keeper share (the host's monotonic clock
 * in node/, the simulation's time in the simulator), never a wall clock a step can move.
 */
export class MajorityLeaseHolder {
  private seenMajorityAtMs: number;
  private replicas: string[] = [];
  private written: { seenMajorityAtMs: number; replicas: string } | undefined;
  /** When the lease was found run out; until a sighting after it, the node stays fenced. */
  private ranOutAtMs: number | undefined;

  /** `seenMajorityAtMs`: from the record a previous process of the node left, else the start. */
  constructor(
    readonly fenceMs: number,
    seenMajorityAtMs: number,
  ) {
    this.seenMajorityAtMs = seenMajorityAtMs;
  }

  get majoritySeenAtMs(): number {
    return this.seenMajorityAtMs;
  }

  /** The node saw a majority at `atMs`; returns the record to write, if it must be rewritten. */
  sawMajority(atMs: number): MajorityLease | undefined {
    this.seenMajorityAtMs = Math.max(this.seenMajorityAtMs, atMs);
    if (this.ranOutAtMs !== undefined && atMs >= this.ranOutAtMs) this.ranOutAtMs = undefined;
    return this.flush();
  }

  /** The node's `majority` replicas at `nowMs`, as its agent listed them; returns the record to write, if any. */
  guard(replicas: readonly string[], nowMs: number): MajorityLease | undefined {
    this.notice(nowMs);
    this.replicas = [...replicas].sort();
    return this.flush();
  }

  /**
   * The node must not run a `majority` replica now: its keeper's record (or, while it
   * guards none, the sighting the next record will carry) is older than the fence, or
   * was since the last sighting.
   */
  runOut(nowMs: number): boolean {
    this.notice(nowMs);
    return this.ranOutAtMs !== undefined;
  }

  /**
   * A run-out lease stays run out until the node sees a majority again. Without this,
   * the record written when the keeper's removal empties the guarded list would carry
   * the node's latest sighting, fresher than the record the keeper acted on by up to a
   * quarter fence, and the node would start the removed replica again for that long.
   */
  private notice(nowMs: number): void {
    if (this.ranOutAtMs !== undefined) return;
    const keeperSees = this.written !== undefined && this.written.replicas !== '' ? this.written.seenMajorityAtMs : this.seenMajorityAtMs;
    if (leaseRunOut(keeperSees, this.fenceMs, nowMs)) this.ranOutAtMs = nowMs;
  }

  /**
   * Rewritten when the replicas change, and every quarter fence while it guards any, so
   * the keeper's record is never older than a fraction of the fence; nothing while it
   * guards none and never did.
   */
  private flush(): MajorityLease | undefined {
    const replicas = this.replicas.join(' ');
    const written = this.written;
    if (written === undefined && replicas === '') return undefined;
    if (written !== undefined && written.replicas === replicas && (replicas === '' || this.seenMajorityAtMs - written.seenMajorityAtMs < this.fenceMs / 4)) return undefined;
    this.written = { seenMajorityAtMs: this.seenMajorityAtMs, replicas };
    return { seenMajorityAtMs: this.seenMajorityAtMs, fenceMs: this.fenceMs, replicas: [...this.replicas] };
  }
}
