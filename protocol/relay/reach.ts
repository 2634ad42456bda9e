/** How a node reaches a member now: its own connections decide it. */
export type Reach = 'direct' | 'relayed' | 'hole-punched';

export interface OpenConnection {
  /** Not through a relay (no /p2p-circuit in its remote address). */
  direct: boolean;
  /** Direct, and opened while a relayed connection to the same peer was open: a hole punch (DCUtR) made it. */
  punched: boolean;
}

/** The best of a member's open connections: direct over relayed; undefined with none open. */
export function reachOf(connections: readonly OpenConnection[]): Reach | undefined {
  const direct = connections.filter((c) => c.direct);
  if (direct.length > 0) return direct.every((c) => c.punched) ? 'hole-punched' : 'direct';
  return connections.length > 0 ? 'relayed' : undefined;
}
