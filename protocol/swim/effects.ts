import type { Incarnation, MemberId, MemberState } from './member.js';
import type { SwimMessage } from './messages.js';

/** Timers carry what they were armed for, so one that fires late is a no-op. */
export type Timer =
  | { kind: 'probe' }
  | { kind: 'probe-timeout'; seq: number }
  | { kind: 'relay-timeout'; seq: number }
  | { kind: 'suspicion'; id: MemberId; incarnation: Incarnation }
  | { kind: 'gossip' }
  | { kind: 'push-pull' }
  | { kind: 'reconnect' };

export type MemberChange = 'joined' | 'updated' | MemberState | 'forgotten';

export interface MemberEvent {
  change: MemberChange;
  id: MemberId;
  incarnation: Incarnation;
  atMs: number;
}

/** What the machine asks its driver (node/ or the simulator) to do. */
export type Effect = { type: 'send'; to: MemberId; message: SwimMessage } | { type: 'timer'; timer: Timer; afterMs: number } | { type: 'event'; event: MemberEvent };
