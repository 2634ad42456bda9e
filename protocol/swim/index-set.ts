import type { Random } from '../../base/random.js';

/** A set of small integers with O(1) add, delete and uniform random pick. */
export class IndexSet {
  private readonly items: number[] = [];
  private positions = new Int32Array(16).fill(-1);

  get size(): number {
    return this.items.length;
  }

  has(index: number): boolean {
    return index < this.positions.length && (this.positions[index] as number) >= 0;
  }

  add(index: number): void {
    if (this.has(index)) return;
    this.ensure(index);
    this.positions[index] = this.items.length;
    this.items.push(index);
  }

  delete(index: number): void {
    if (!this.has(index)) return;
    const at = this.positions[index] as number;
    const last = this.items.pop() as number;
    if (last !== index) {
      this.items[at] = last;
      this.positions[last] = at;
    }
    this.positions[index] = -1;
  }

  values(): readonly number[] {
    return this.items;
  }

  /** Up to `count` distinct members, chosen uniformly, none of them in `exclude`. */
  sample(count: number, random: Random, exclude: readonly number[] = []): number[] {
    const out: number[] = [];
    const available = this.items.length - exclude.filter((e) => this.has(e)).length;
    const want = Math.min(count, available);
    let attempts = 0;
    while (out.length < want && attempts < want * 8) {
      attempts++;
      const pick = this.items[random.int(this.items.length)] as number;
      if (!exclude.includes(pick) && !out.includes(pick)) out.push(pick);
    }
    if (out.length < want) {
      for (const item of this.items) {
        if (out.length >= want) break;
        if (!exclude.includes(item) && !out.includes(item)) out.push(item);
      }
    }
    return out;
  }

  reserve(members: number): void {
    if (members > this.positions.length) this.resize(members);
  }

  private ensure(index: number): void {
    if (index < this.positions.length) return;
    let length = this.positions.length;
    while (length <= index) length *= 2;
    this.resize(length);
  }

  private resize(length: number): void {
    const grown = new Int32Array(length).fill(-1);
    grown.set(this.positions);
    this.positions = grown;
  }
}
