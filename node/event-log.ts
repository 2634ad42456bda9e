/** One thing that happened on this node, for `shoal describe` and (later) `shoal events`. */
export interface NodeEvent {
  atMs: number;
  node: string;
  kind: string;
  /** The object it concerns, e.g. `Workload/default/web`. */
  object: string;
  message: string;
}

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
