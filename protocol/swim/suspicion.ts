import { scaleByHealth, suspicionTimeoutMs } from './formulas.js';
import type { Incarnation, MemberId } from './member.js';

/**
 * One open suspicion of one member at one incarnation. Independent confirmations
 * (suspect messages from distinct members) pull the deadline in, per Lifeguard.
 */
export class Suspicion {
  private readonly confirmers = new Set<MemberId>();
  /** The suspect answered a probe of ours after it was suspected (an ack that came late): it lived then. */
  answeredAtMs: number | undefined;
  /** When the last timer armed for this suspicion is due: a timer that fires well after it was held up by a stall. */
  timerDueAtMs: number | undefined;
  /** The verdict already waited one turn of the loop, for input that a stall left unread. */
  held = false;

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

  /**
   * When the suspect is dead unless refuted. `lagScore` (lag.ts) stretches the timeout as
   * it stretches a probe's: a node that runs late reads refutations late, and a suspect
   * that said it runs late answers late. The stretch scales the minimum timeout, the one
   * confirmations bring it to, and never adds to Lifeguard's own: so a lag, measured or
   * claimed, holds a verdict at most max(Lifeguard's timeout, awarenessMax times its
   * minimum), a bound on what a member that claims to be slow buys itself (8 s at 5
   * members and 16 s at 20 on the `local` preset, 22 s and 42 s on `lan`). A late answer
   * from the suspect restarts the count from the answer.
   */
  deadlineMs(lagScore = 0): number {
    const lifeguardMs = suspicionTimeoutMs({ ...this.timing, confirmations: this.confirmations });
    const stretchedMs = scaleByHealth(suspicionTimeoutMs({ ...this.timing, confirmations: this.timing.expected }), lagScore);
    return Math.max(this.startedAtMs, this.answeredAtMs ?? this.startedAtMs) + Math.max(lifeguardMs, stretchedMs);
  }
}
