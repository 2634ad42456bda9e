/**
 * Lifeguard's local health multiplier: a node that misses acks or is itself suspected
 * is more likely the one in trouble, so it waits longer before accusing others.
 */
export class Awareness {
  private value = 0;

  constructor(private readonly max: number) {}

  get score(): number {
    return this.value;
  }

  apply(delta: number): void {
    this.value = Math.min(this.max - 1, Math.max(0, this.value + delta));
  }
}
