import type { Random } from '../../../base/random.js';
import type { NodeInfo } from '../../../protocol/scheduler/view.js';
import type { NodeClock } from '../node-clock.js';
import type { World } from './world.js';

/** What a membership model may use of the simulation it serves. */
export interface MembershipPorts {
  world: World;
  random: Random;
  /** Virtual time: when things happen. What a node reads is its clock's (clockOf). */
  now: () => number;
  clockOf: (id: string) => NodeClock;
  at: (atMs: number, run: () => void) => void;
  /** The observer's view changed: its scheduler has something new to tick on. */
  changed: (observer: string) => void;
}

/**
 * What each node's SWIM layer tells its scheduler: one member map per observer. A map is
 * replaced, never changed in place, when the observer notices a change: the scheduler
 * keys its collector ring on the map's identity, as it would on a fresh snapshot from
 * the real membership layer.
 */
export interface MembershipModel {
  viewOf(observer: string): ReadonlyMap<string, NodeInfo>;
  /** The world changed for these subjects (a crash, a restart, a cut, a heal): observers learn it their own way. */
  worldChanged(subjects: readonly string[]): void;
  crashed(id: string): void;
  restarted(id: string): void;
  /** The node pings every member it reaches (SwimMachine.census); a model without messages has no use for it. */
  census?(id: string): void;
}
