/** A binary min-heap of events by (time, insertion order): equal times run in the order scheduled, so runs replay exactly. */
export class EventQueue<T> {
  private times: number[] = [];
  private orders: number[] = [];
  private items: T[] = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  /** Runs every event due by `untilMs` in order, including those the handler schedules on the way. */
  drainUntil(untilMs: number, handle: (item: T, time: number) => void): void {
    for (;;) {
      const time = this.times[0];
      if (time === undefined || time > untilMs) return;
      handle(this.pop() as T, time);
    }
  }

  push(time: number, item: T): void {
    let i = this.items.length;
    const order = this.counter++;
    this.times.push(time);
    this.orders.push(order);
    this.items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(time, order, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.place(i, time, order, item);
  }

  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0] as T;
    const lastTime = this.times.pop() as number;
    const lastOrder = this.orders.pop() as number;
    const lastItem = this.items.pop() as T;
    if (n === 1) return top;
    let i = 0;
    const size = n - 1;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.less(right, this.times[left] as number, this.orders[left] as number) ? right : left;
      if (!this.less(child, lastTime, lastOrder)) break;
      this.move(child, i);
      i = child;
    }
    this.place(i, lastTime, lastOrder, lastItem);
    return top;
  }

  private less(index: number, time: number, order: number): boolean {
    const t = this.times[index] as number;
    return t < time || (t === time && (this.orders[index] as number) < order);
  }

  private before(time: number, order: number, index: number): boolean {
    const t = this.times[index] as number;
    return time < t || (time === t && order < (this.orders[index] as number));
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] as number;
    this.orders[to] = this.orders[from] as number;
    this.items[to] = this.items[from] as T;
  }

  private place(index: number, time: number, order: number, item: T): void {
    this.times[index] = time;
    this.orders[index] = order;
    this.items[index] = item;
  }
}
