import type { NodeEvent } from '../protocol/api/events.js';

/** The node's recent events, bounded: the oldest go first. */
export class EventLog {
  private readonly events: NodeEvent[] = [];

  constructor(private readonly capacity = 1_000) {}

  record(event: NodeEvent): void {
    this.events.push(event);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
  }

  list(object?: string): NodeEvent[] {
    return object === undefined ? [...this.events] : this.events.filter((e) => e.object === object);
  }
}
