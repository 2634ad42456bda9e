import type { Liveness, NodeInfo } from '../../protocol/scheduler/view.js';

/**
 * What each node's SWIM layer tells its scheduler: one member map per observer. A map
 * is replaced, never changed in place, when the observer notices a change: the
 * scheduler keys its collector ring on the map's identity, as it would on a fresh
 * snapshot from the real membership layer. Observers share the initial map until
 * their views part.
 */
export class MembershipViews {
  private readonly views = new Map<string, ReadonlyMap<string, NodeInfo>>();

  constructor(members: readonly NodeInfo[]) {
    const shared = new Map(members.map((m) => [m.id, m]));
    for (const m of members) this.views.set(m.id, shared);
  }

  viewOf(observer: string): ReadonlyMap<string, NodeInfo> {
    const view = this.views.get(observer);
    if (view === undefined) throw new RangeError(`no simulated node ${observer}`);
    return view;
  }

  stateOf(observer: string, subject: string): Liveness | undefined {
    return this.viewOf(observer).get(subject)?.state;
  }

  /** The observer notices `subject` is now `state`; says whether its view changed. */
  notice(observer: string, subject: string, state: Liveness, atMs: number): boolean {
    const view = this.viewOf(observer);
    const info = view.get(subject);
    if (info === undefined || info.state === state) return false;
    const next = new Map(view);
    next.set(subject, { ...info, state, stateChangedAtMs: atMs });
    this.views.set(observer, next);
    return true;
  }

  /** A restarted observer starts from what it can reach now. */
  reset(observer: string, stateOf: (subject: string) => Liveness, atMs: number): void {
    const next = new Map<string, NodeInfo>();
    for (const [id, info] of this.viewOf(observer)) {
      const state = stateOf(id);
      next.set(id, info.state === state ? info : { ...info, state, stateChangedAtMs: atMs });
    }
    this.views.set(observer, next);
  }
}
