import { answerQuery, compareAnswer, firstQuery, Replica, type Delta, type Genesis } from '../../crdt/index.js';
import { createRandom, type Random } from '../../base/random.js';
import { EventQueue } from './event-queue.js';
import { defaultFaults, Partition, type NetworkFaults } from './network.js';
import { describeClock, nodeClocks, type ClockOptions, type NodeClock } from './node-clock.js';

export interface StateSimulationOptions {
  seed: number;
  nodes: number;
  genesis: Genesis;
  faults?: Partial<NetworkFaults>;
  /** Gossipsub's D: each node pushes a new delta to this many mesh peers. */
  meshDegree?: number;
  /** Per hop: decode, verify, synced write (measured on the real node), before forwarding. */
  processingMs?: number;
  /** Anti-entropy: each node exchanges digests with one random peer this often. */
  antiEntropyIntervalMs?: number;
  /** Wall-clock time at virtual time 0, for the replicas' clock checks (default: a fixed date in 2027). */
  epochMs?: number;
  /**
   * Each node's own wall clock (node-clock.ts; a step names a node by its index as text):
   * a replica checks a delta's stamp against it, and its anti-entropy timer counts on its
   * oscillator. Absent, every node reads `wallMs`. The clocks' epoch is `epochMs`.
   */
  clocks?: Omit<ClockOptions, 'epochMs'>;
  onAccept?: (node: number, delta: Delta, atMs: number) => void;
}

type Event = { kind: 'deliver'; from: number; to: number; delta: Delta } | { kind: 'anti-entropy'; node: number } | { kind: 'action'; run: () => void };

/**
 * Replicas of the cluster document on a virtual network: deltas spread by eager push
 * over a random mesh, as gossipsub's mesh does, and anti-entropy repairs what the push
 * lost. The CRDT code runs unchanged; a seed replays a run.
 */
export class StateSimulation {
  readonly replicas: Replica[];
  readonly partition = new Partition();
  readonly random: Random;
  readonly faults: NetworkFaults;
  private readonly mesh: number[][];
  private readonly clocks: NodeClock[];
  private readonly queue = new EventQueue<Event>();
  private now = 0;

  constructor(private readonly options: StateSimulationOptions) {
    this.random = createRandom(options.seed);
    this.faults = { ...defaultFaults(), ...options.faults };
    this.replicas = Array.from({ length: options.nodes }, () => new Replica(options.genesis));
    this.mesh = this.buildMesh(options.meshDegree ?? 6);
    const ids = Array.from({ length: options.nodes }, (_, i) => String(i));
    const clocks = nodeClocks(ids, options.seed, options.clocks === undefined ? undefined : { ...options.clocks, epochMs: this.epochMs });
    this.clocks = ids.map((id) => clocks.get(id) as NodeClock);
    const interval = options.antiEntropyIntervalMs ?? 5_000;
    for (let i = 0; i < options.nodes; i++) this.queue.push(this.random.int(interval), { kind: 'anti-entropy', node: i });
  }

  get nowMs(): number {
    return this.now;
  }

  /** The simulated wall clock, true time, for stamping deltas written in the simulation. */
  get wallMs(): number {
    return this.epochMs + Math.floor(this.now);
  }

  /** What node `node`'s own wall clock reads now (`wallMs` without per-node clocks): what it checks stamps against, and stamps its writes with. */
  wallMsOf(node: number): number {
    if (this.options.clocks === undefined) return this.wallMs;
    return Math.floor((this.clocks[node] as NodeClock).wallMs(this.now));
  }

  /** Node `node`'s wall clock jumps by `byMs` now (forward if positive); needs `clocks`. */
  stepClock(node: number, byMs: number): void {
    if (this.options.clocks === undefined) throw new RangeError('stepClock needs the clocks option');
    (this.clocks[node] as NodeClock).step(this.now, byMs);
  }

  /** Each node's clock, for a failure message. */
  describeClocks(): string {
    return this.clocks.map((clock, i) => describeClock(String(i), clock)).join('; ');
  }

  private get epochMs(): number {
    return this.options.epochMs ?? 1_800_000_000_000;
  }

  /** A client writes `delta` to node `origin` now. */
  write(origin: number, delta: Delta): void {
    this.accept(origin, -1, delta);
  }

  at(atMs: number, run: () => void): void {
    this.queue.push(Math.max(atMs, this.now), { kind: 'action', run });
  }

  run(untilMs: number): void {
    this.queue.drainUntil(untilMs, (event, time) => {
      this.now = time;
      if (event.kind === 'action') event.run();
      else if (event.kind === 'deliver') this.accept(event.to, event.from, event.delta);
      else this.antiEntropy(event.node);
    });
    this.now = untilMs;
  }

  private accept(node: number, from: number, delta: Delta): void {
    const replica = this.replicas[node] as Replica;
    if (!replica.receive(delta, this.wallMsOf(node)).ok) return;
    this.options.onAccept?.(node, delta, this.now);
    const hop = this.options.processingMs ?? 1;
    for (const peer of this.mesh[node] as number[]) {
      if (peer === from || !this.reachable(node, peer)) continue;
      this.queue.push(this.now + hop + this.faults.latency(this.random), { kind: 'deliver', from: node, to: peer, delta });
    }
  }

  /** A pure repair with one random peer, the same steps node/anti-entropy takes over a stream. */
  private antiEntropy(node: number): void {
    this.queue.push(this.now + (this.clocks[node] as NodeClock).timerMs(this.options.antiEntropyIntervalMs ?? 5_000), { kind: 'anti-entropy', node });
    const peer = this.random.int(this.replicas.length);
    if (peer === node || !this.partition.connected(String(node), String(peer))) return;
    const [a, b] = [this.replicas[node] as Replica, this.replicas[peer] as Replica];
    let query = firstQuery();
    for (let round = 0; round < 8; round++) {
      const comparison = compareAnswer(a.digest, answerQuery(b.digest, query));
      for (const id of comparison.missingHere) this.accept(node, peer, b.get(id) as Delta);
      for (const id of comparison.missingThere) this.accept(peer, node, a.get(id) as Delta);
      if (comparison.next === undefined) return;
      query = comparison.next;
    }
  }

  private reachable(a: number, b: number): boolean {
    return this.partition.connected(String(a), String(b)) && this.random.next() >= this.faults.lossRate;
  }

  /** Each node links to `degree` random others; links are two-way, as gossipsub mesh links are. */
  private buildMesh(degree: number): number[][] {
    const n = this.options.nodes;
    const links = Array.from({ length: n }, () => new Set<number>());
    for (let i = 0; i < n; i++) {
      while (links[i]!.size < Math.min(degree, n - 1)) {
        const j = this.random.int(n);
        if (j === i) continue;
        links[i]!.add(j);
        links[j]!.add(i);
      }
    }
    return links.map((s) => [...s]);
  }
}
