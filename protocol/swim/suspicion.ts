import { suspicionTimeoutMs } from './formulas.js';
import type { Incarnation, MemberId } from './member.js';

/**
 * One open suspicion of one member at one incarnation. Independent confirmations
 * (suspect messages from distinct members) pull the deadline in, per Lifeguard.
 */
export class Suspicion {
  private readonly confirmers = new Set<MemberId>();

  constructor(
    readonly incarnation: Incarnation,
    readonly startedAtMs: number,
    private readonly timing: { members: number; probeIntervalMs: number; alpha: number; beta: number; expected: number },
    firstAccuser: MemberId,
  ) {
    this.confirmers.add(firstAccuser);
  }

  /**
   * True when `from` is a new accuser and the deadline moved. Past the expected count
   * the timeout is already at its minimum, so (as in memberlist) further accusers are
   * not news worth spreading.
   */
  confirm(from: MemberId): boolean {
    if (this.confirmations >= this.timing.expected || this.confirmers.has(from)) return false;
    this.confirmers.add(from);
    return true;
  }

  get confirmations(): number {
    return this.confirmers.size - 1;
  }

  deadlineMs(): number {
    return this.startedAtMs + suspicionTimeoutMs({ ...this.timing, confirmations: this.confirmations });
  }
}
