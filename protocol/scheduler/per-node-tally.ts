/**
 * The replicas of one workload a plan has kept on each node so far, slot by slot in index
 * order, against the workload's limit a node (`maxPerNode`; one for a global workload).
 * A bidder checks the limit against its own view, which may not count yet a slot it won
 * moments ago (its claim still on its way, or written by a collector that saw other
 * bids), so the claims can put more replicas on a node than the limit. The plan holds
 * the claims to the limit too: a slot whose node is full is auctioned again, and since
 * every node tallies the same claims in the same order, all agree on which slot moves.
 */
export class PerNodeTally {
  private readonly held = new Map<string, number>();
  /** Nodes at the limit: the later slots of the workload may not stay there. */
  readonly full = new Set<string>();

  constructor(private readonly limit: number | undefined) {}

  /** One more replica of the workload is kept on `node`, or held for it. */
  hold(node: string): void {
    if (this.limit === undefined) return;
    const count = (this.held.get(node) ?? 0) + 1;
    this.held.set(node, count);
    if (count >= this.limit) this.full.add(node);
  }
}
