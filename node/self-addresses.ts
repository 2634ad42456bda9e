import type { Libp2p } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';

/** What a SWIM record carries at most (protocol/swim/codec.ts). */
const MAX_ADDRS = 16;
/** Room kept for relay addresses, so a host with many interfaces still names a way through its NAT. */
const MAX_RELAYED = 4;
const DEFAULT_DEBOUNCE_MS = 1_000;

const relayed = (a: Multiaddr): boolean => a.toString().includes('/p2p-circuit');

/** The addresses a member record names: direct ones first (a dialer tries them first), then relay addresses, within the record's bound. */
export function memberAddresses(multiaddrs: readonly Multiaddr[]): string[] {
  const through = multiaddrs.filter(relayed).slice(0, MAX_RELAYED);
  const direct = multiaddrs.filter((a) => !relayed(a)).slice(0, MAX_ADDRS - through.length);
  return [...direct, ...through].map((a) => a.toString());
}

/**
 * Announces this node's addresses again when libp2p's change: a relay reservation made or
 * lost (a NATed node is reached only through those), an address AutoNAT confirmed. A
 * reservation comes with several events at once, and every announcement raises the SWIM
 * incarnation and gossips the record, so they are gathered for `debounceMs` first.
 */
export class SelfAddresses {
  private timer: NodeJS.Timeout | undefined;
  private last: string;

  constructor(
    private readonly host: Libp2p,
    initial: readonly string[],
    private readonly announce: (addrs: string[]) => void,
    private readonly debounceMs = DEFAULT_DEBOUNCE_MS,
  ) {
    this.last = initial.join(' ');
  }

  start(): void {
    this.host.addEventListener('self:peer:update', this.changed);
  }

  stop(): void {
    this.host.removeEventListener('self:peer:update', this.changed);
    clearTimeout(this.timer);
  }

  private readonly changed = (): void => {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.announceIfChanged(), this.debounceMs);
  };

  private announceIfChanged(): void {
    const addrs = memberAddresses(this.host.getMultiaddrs());
    const key = addrs.join(' ');
    if (key === this.last) return;
    this.last = key;
    this.announce(addrs);
  }
}
