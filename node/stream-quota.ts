/**
 * Long-lived answers (a followed log) a node serves at once, in all and to one operator:
 * each holds an engine connection here, or a stream to the replica's node, whose
 * streams per connection are bounded too, so one key must not take them all.
 */
export class StreamQuota {
  private readonly byOperator = new Map<string, number>();
  private open = 0;
  refused = 0;

  constructor(
    private readonly perOperator: number,
    private readonly total: number,
  ) {}

  /** A release for one more of `operator`'s streams, or undefined when it may not open one. */
  acquire(operator: string): (() => void) | undefined {
    const mine = this.byOperator.get(operator) ?? 0;
    if (mine >= this.perOperator || this.open >= this.total) {
      this.refused++;
      return undefined;
    }
    this.byOperator.set(operator, mine + 1);
    this.open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      const left = (this.byOperator.get(operator) ?? 1) - 1;
      if (left > 0) this.byOperator.set(operator, left);
      else this.byOperator.delete(operator);
    };
  }
}
