import { answerQuery, compareAnswer, firstQuery, Replica, type Delta, type Genesis } from '../../crdt/index.js';
import { createRandom, type Random } from '../../base/random.js';
import { EventQueue } from './event-queue.js';
import { defaultFaults, Partition, type NetworkFaults } from './network.js';

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
  private readonly queue = new EventQueue<Event>();
  private now = 0;

  constructor(private readonly options: StateSimulationOptions) {
    this.random = createRandom(options.seed);
    this.faults = { ...defaultFaults(), ...options.faults };
    this.replicas = Array.from({ length: options.nodes }, () => new Replica(options.genesis));
    this.mesh = this.buildMesh(options.meshDegree ?? 6);
    const interval = options.antiEntropyIntervalMs ?? 5_000;
    for (let i = 0; i < options.nodes; i++) this.queue.push(this.random.int(interval), { kind: 'anti-entropy', node: i });
  }

  get nowMs(): number {
    return this.now;
  }

  /** The simulated wall clock, for stamping deltas written in the simulation. */
  get wallMs(): number {
    return (this.options.epochMs ?? 1_800_000_000_000) + Math.floor(this.now);
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
    if (!replica.receive(delta, this.wallMs).ok) return;
    this.options.onAccept?.(node, delta, this.now);
    const hop = this.options.processingMs ?? 1;
    for (const peer of this.mesh[node] as number[]) {
      if (peer === from || !this.reachable(node, peer)) continue;
      this.queue.push(this.now + hop + this.faults.latency(this.random), { kind: 'deliver', from: node, to: peer, delta });
    }
  }

  /** A pure repair with one random peer, the same steps node/anti-entropy takes over a stream. */
  private antiEntropy(node: number): void {
    this.queue.push(this.now + (this.options.antiEntropyIntervalMs ?? 5_000), { kind: 'anti-entropy', node });
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
