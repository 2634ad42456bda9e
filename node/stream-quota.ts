import { err, ok, type Result } from '../base/result.js';

/**
 * Long-lived things a node serves at once, in all and to one key (an operator's followed
 * logs and dashboards, a peer's frames being read): each holds a connection, a stream or
 * memory, so one key must not take them all.
 */
export class StreamQuota {
  private readonly byKey = new Map<string, number>();
  private open = 0;
  refused = 0;

  constructor(
    private readonly perKey: number,
    private readonly total: number,
  ) {}

  /** A release for one more of `key`'s, or which bound refuses it: the key's own, or the node's. */
  acquire(key: string): Result<() => void, 'key' | 'node'> {
    const mine = this.byKey.get(key) ?? 0;
    if (mine >= this.perKey || this.open >= this.total) {
      this.refused++;
      return err(mine >= this.perKey ? 'key' : 'node');
    }
    this.byKey.set(key, mine + 1);
    this.open++;
    let released = false;
    return ok(() => {
      if (released) return;
      released = true;
      this.open--;
      const left = (this.byKey.get(key) ?? 1) - 1;
      if (left > 0) this.byKey.set(key, left);
      else this.byKey.delete(key);
    });
  }
}
