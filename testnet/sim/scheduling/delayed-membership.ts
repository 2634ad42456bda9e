import type { NodeInfo } from '../../../protocol/scheduler/view.js';
import type { SchedulingFaults } from './faults.js';
import type { MembershipModel, MembershipPorts } from './membership.js';

/**
 * Membership as a delay: an observer whose view of a subject no longer matches the world
 * notices it after SWIM's typical detection (or rejoin) time, with jitter. Cheap enough
 * for a thousand nodes; it cannot show how the real protocol's timing differs between
 * the sides of a cut (SwimMembership runs the real machines for that). Observers share
 * the initial map until their views part.
 */
export class DelayedMembership implements MembershipModel {
  private readonly views = new Map<string, ReadonlyMap<string, NodeInfo>>();

  constructor(
    members: readonly NodeInfo[],
    private readonly ports: MembershipPorts,
    private readonly faults: Pick<SchedulingFaults, 'detectionMs' | 'rejoinMs' | 'noticeJitterMs'>,
  ) {
    const shared = new Map(members.map((m) => [m.id, m]));
    for (const m of members) this.views.set(m.id, shared);
  }

  viewOf(observer: string): ReadonlyMap<string, NodeInfo> {
    const view = this.views.get(observer);
    if (view === undefined) throw new RangeError(`no simulated node ${observer}`);
    return view;
  }

  worldChanged(subjects: readonly string[]): void {
    const { world, random } = this.ports;
    for (const observer of this.views.keys()) {
      if (!world.isUp(observer)) continue;
      for (const subject of subjects) {
        const truth = world.truthAbout(observer, subject);
        if (subject === observer || this.viewOf(observer).get(subject)?.state === truth) continue;
        const delayMs = (truth === 'dead' ? this.faults.detectionMs : this.faults.rejoinMs) + random.next() * this.faults.noticeJitterMs;
        this.ports.at(this.ports.now() + delayMs, () => this.notice(observer, subject));
      }
    }
  }

  crashed(): void {}

  /** A restarted observer starts from what it can reach now. */
  restarted(id: string): void {
    const { world } = this.ports;
    const next = new Map<string, NodeInfo>();
    for (const [subject, info] of this.viewOf(id)) {
      const state = world.truthAbout(id, subject);
      next.set(subject, info.state === state ? info : { ...info, state, stateChangedAtMs: this.wallMsOf(id) });
    }
    this.views.set(id, next);
  }

  /** The observer's wall clock: what its membership layer stamps a change with. */
  private wallMsOf(observer: string): number {
    return this.ports.clockOf(observer).wallMs(this.ports.now());
  }

  private notice(observer: string, subject: string): void {
    const { world } = this.ports;
    if (!world.isUp(observer)) return;
    const view = this.viewOf(observer);
    const info = view.get(subject);
    const state = world.truthAbout(observer, subject);
    if (info === undefined || info.state === state) return;
    const next = new Map(view);
    next.set(subject, { ...info, state, stateChangedAtMs: this.wallMsOf(observer) });
    this.views.set(observer, next);
    this.ports.changed(observer);
  }
}
