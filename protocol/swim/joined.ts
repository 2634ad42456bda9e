/**
 * Whether a node has joined its cluster: one rule for every reader (its scheduler
 * decides nothing before, `shoal start --join` waits for it and gives up after its
 * timeout). It has joined once it sees another live member, or from the start when it
 * is a cluster's first node: no seed to join through and no member it knew before a
 * restart. Once joined it stays so: a partition that leaves it alone is not a join that
 * failed, and a restarted node that knew others waits to see one before deciding alone.
 */
export class JoinedRule {
  private joined: boolean;

  constructor(start: { seeds: number; knewOthers: boolean }) {
    this.joined = start.seeds === 0 && !start.knewOthers;
  }

  /** With `liveMembers` live as the node sees them now, itself included. */
  joinedWith(liveMembers: number): boolean {
    this.joined ||= liveMembers > 1;
    return this.joined;
  }
}
