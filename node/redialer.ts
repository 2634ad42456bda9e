import type { Libp2p } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Logger } from 'pino';
import type { RejoinEntry } from '../protocol/swim/rejoin.js';
import type { SwimService } from './swim/service.js';

export interface RedialerOptions {
  intervalMs: number;
  dialTimeoutMs: number;
  log: Logger;
  /** The members of the node's last run (its snapshot), dialled besides the seeds until it has joined. */
  rejoin?: readonly RejoinEntry[];
}

/**
 * libp2p's bootstrap dials its seeds once, and peers do not find each other again
 * after a long partition. This keeps dialing seeds while the node is alone, and one
 * unreachable seed per round after that, so a node joins whenever a seed comes up
 * and two halves of a healed partition meet again. A restarted node also dials the
 * members it knew, as Serf's -rejoin does, so it finds its cluster when its seeds are
 * gone; only until it has joined, since old members may be long dead.
 */
export class Redialer {
  private timer: NodeJS.Timeout | undefined;
  private announced = false;
  private lastError = '';
  private readonly seedPeers = new Map<string, string>();
  private rejoin: readonly RejoinEntry[];

  constructor(
    private readonly host: Libp2p,
    private readonly swim: SwimService,
    private readonly seeds: readonly Multiaddr[],
    private readonly options: RedialerOptions,
  ) {
    this.rejoin = options.rejoin ?? [];
  }

  get lastDialError(): string {
    return this.lastError;
  }

  start(): void {
    void this.round();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async round(): Promise<void> {
    const alone = this.swim.liveCount <= 1;
    if (!alone) this.rejoin = [];
    const targets = alone ? this.seeds : this.seeds.filter((seed) => !this.isReachableMember(seed)).slice(0, 1);
    await Promise.all([...targets.map((seed) => this.dialAndJoin(seed)), ...this.rejoin.map((member) => this.rejoinMember(member))]);
    this.timer = setTimeout(() => void this.round(), this.options.intervalMs);
  }

  private isReachableMember(seed: Multiaddr): boolean {
    const peer = this.seedPeers.get(seed.toString()) ?? seed.getComponents().find((c) => c.name === 'p2p')?.value;
    return peer !== undefined && this.swim.isReachable(peer);
  }

  private async dialAndJoin(seed: Multiaddr): Promise<void> {
    try {
      const connection = await this.host.dial(seed, { signal: AbortSignal.timeout(this.options.dialTimeoutMs) });
      const peer = connection.remotePeer.toString();
      if (peer === this.swim.id) return;
      this.seedPeers.set(seed.toString(), peer);
      this.swim.join([peer]);
      if (!this.announced) this.options.log.info({ seed: seed.toString(), peer }, 'joining through seed');
      this.announced = true;
    } catch (e) {
      this.lastError = (e as Error).message;
      this.options.log.debug({ seed: seed.toString(), error: this.lastError }, 'seed dial failed');
    }
  }

  private async rejoinMember(member: RejoinEntry): Promise<void> {
    if (member.id === this.swim.id) return;
    try {
      const peer = peerIdFromString(member.id);
      await this.host.peerStore.merge(peer, { multiaddrs: member.addrs.map((a) => multiaddr(a)) });
      await this.host.dial(peer, { signal: AbortSignal.timeout(this.options.dialTimeoutMs) });
      this.swim.join([member.id]);
      if (!this.announced) this.options.log.info({ peer: member.id }, 'rejoining through a member of the last run');
      this.announced = true;
    } catch (e) {
      this.lastError = (e as Error).message;
      this.options.log.debug({ peer: member.id, error: this.lastError }, 'member of the last run did not answer');
    }
  }
}
