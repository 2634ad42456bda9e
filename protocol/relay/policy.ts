/**
 * Who may use a node as a circuit relay (libp2p circuit relay v2), and how much.
 *
 * Every node serves as a relay for the members behind NAT. The private network already
 * keeps out anyone without the cluster key, but not a node removed from the cluster
 * (it still holds the key) nor one that joined and was never admitted: so a relay
 * serves admitted members only, and a node accepts relayed connections only from
 * admitted members through admitted relays.
 */

/** Slots one relay keeps: a NATed member holds one, so this is the NATed members one relay carries. */
export const MAX_RESERVATIONS = 32;
/**
 * Each relayed connection's allowance; past either, the relay resets it and the next
 * stream dials through the relay again, with a fresh one. Generous for SWIM (about a
 * kilobyte a second, push-pull syncs of a few megabytes) and anti-entropy catch-ups;
 * bulk content larger than the data allowance needs a direct path. The relay enforces
 * the duration in milliseconds (circuit-relay-v2 4.2.13 sends the same number to the
 * client, which reads it as seconds; only the relay's reading takes effect).
 */
export const RELAYED_CONNECTION_MS = 30 * 60_000;
export const RELAYED_CONNECTION_BYTES = 256n * 1024n * 1024n;
/**
 * A joiner asks for a slot as soon as it meets a relay, usually a second or two before
 * an admitted member writes its admission: its request waits this long for it.
 */
export const ADMISSION_WAIT_MS = 15_000;
/** Requests waiting for their requester's admission at once; more are refused, so a flood costs the relay nothing held. */
export const MAX_WAITING_RESERVATIONS = 16;

export interface RelayPeer {
  admitted: boolean;
  /** Removed from the cluster: it will never be admitted again, so nothing waits for it. */
  revoked: boolean;
}

export type ReservationVerdict = 'grant' | 'wait' | 'refuse';

/** Whether a relay grants a reservation now, waits for the peer's admission, or refuses. */
export function reservationVerdict(peer: RelayPeer, waitedMs: number, waiting: number): ReservationVerdict {
  if (peer.admitted) return 'grant';
  if (peer.revoked || waitedMs >= ADMISSION_WAIT_MS || (waitedMs === 0 && waiting >= MAX_WAITING_RESERVATIONS)) return 'refuse';
  return 'wait';
}

/** Whether a relayed connection may pass (at the relay) or be accepted (at its end): both ends and the relay admitted. */
export const relayedConnectionAllowed = (...peers: readonly RelayPeer[]): boolean => peers.every((p) => p.admitted);
