import type { Logger } from 'pino';
import type { Clock } from '../base/clock.js';
import { nodeKey } from '../crdt/index.js';
import { admitsNow } from '../protocol/admission/admitter.js';
import { publicKeyOfPeerId } from '../base/peer-id.js';
import type { NodeWriter } from './node-writer.js';
import type { StateService } from './state-service.js';
import type { SwimService } from './swim/service.js';
import { onceATurn } from './once-a-turn.js';

export interface AdmissionOptions {
  swim: SwimService;
  state: StateService;
  writer: NodeWriter;
  log: Logger;
  /** How often to look for joiners not yet admitted, besides each join SWIM reports. */
  intervalMs: number;
  /** How long the first-ranked admitter has before every admitted member steps in. */
  graceMs: number;
  /** The node's wall clock (node/wall-clock.ts). */
  clock: Clock;
}

/**
 * Admits the members that joined: they reached us through the private network, so they
 * hold the cluster key. Until a Node object names it, a node's writes count nowhere.
 */
export class Admission {
  private readonly waitingSince = new Map<string, number>();
  private readonly writing = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: AdmissionOptions) {}

  start(): void {
    this.timer = setInterval(() => this.pass(), this.options.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /**
   * A member joined or came back: look once this turn ends rather than at the next
   * interval. One look for all the joins a message brought: a pass walks every member,
   * so a pass for each of a sync's thousands of new members held the loop for minutes.
   */
  kick(): void {
    if (!this.stopped) this.passSoon();
  }

  private readonly passSoon = onceATurn(() => {
    if (!this.stopped) this.pass();
  });

  private pass(): void {
    const { swim, state } = this.options;
    const replica = state.replica;
    const alive = swim.members().flatMap((m) => (m.state === 'alive' ? [{ id: m.record.id, publicKey: publicKeyOfPeerId(m.record.id) }] : []));
    const admitted = alive.flatMap(({ id, publicKey }) => (publicKey !== undefined && replica.isAdmittedNode(publicKey) ? [id] : []));
    const admittedIds = new Set(admitted);
    const now = this.options.clock.nowMs();
    for (const { id, publicKey } of alive) {
      if (publicKey === undefined || admittedIds.has(id) || replica.isRevoked(publicKey)) {
        this.waitingSince.delete(id);
        continue;
      }
      const since = this.waitingSince.get(id) ?? now;
      this.waitingSince.set(id, since);
      if (this.writing.has(id) || !admitsNow({ self: swim.id, joiner: id, admitted, waitedMs: now - since, graceMs: this.options.graceMs })) continue;
      this.admit(id, publicKey);
    }
    const aliveIds = new Set(alive.map(({ id }) => id));
    for (const id of this.waitingSince.keys()) if (!aliveIds.has(id)) this.waitingSince.delete(id);
  }

  private admit(id: string, publicKey: string): void {
    this.writing.add(id);
    this.options.writer
      .write([{ key: nodeKey(publicKey), set: { peerId: id, admittedBy: this.options.swim.id, atMs: this.options.clock.nowMs() } }])
      .then(
        (ok) => ok && this.options.log.info({ node: id }, 'admitted a node that joined through the cluster key'),
        (e: unknown) => this.options.log.warn({ node: id, error: String(e) }, 'could not admit a node; another member will'),
      )
      .finally(() => this.writing.delete(id));
  }
}
