import type { MemberEvent } from './effects.js';
import type { MemberView } from './member.js';

// The machine keeps its times on the clock its driver reads for it, a monotonic one: on a
// wall clock, a step forward ended open suspicions early and declared live members dead.
// What a driver hands on (to the scheduler, the API, its logs) is on the node's wall
// clock: each time moved by how far the wall clock is ahead of the monotonic one when it
// is read, `wallAheadMs`. A time so moved keeps its distance from now, whatever steps the
// wall clock took in between.

/** `view` with its time on the wall clock; 0 (never changed: the member itself) stays 0. */
export function viewOnWallClock(view: MemberView, wallAheadMs: number): MemberView {
  if (wallAheadMs === 0 || view.stateChangedAtMs === 0) return view;
  return { ...view, stateChangedAtMs: view.stateChangedAtMs + wallAheadMs };
}

/** `event` with its time on the wall clock. */
export function eventOnWallClock(event: MemberEvent, wallAheadMs: number): MemberEvent {
  return wallAheadMs === 0 ? event : { ...event, atMs: event.atMs + wallAheadMs };
}
