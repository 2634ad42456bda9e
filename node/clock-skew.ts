/**
 * Fault injection only (`shoal start --enable-fault-injection`): shifts this process's
 * clock so a testnet can show what a node with a wrong clock does. Everything in node/
 * reads the time through `Date.now`, so replacing it process-wide skews the SWIM
 * machine, the hybrid logical clock of writes, the scheduler and the agent alike.
 * Timers (setTimeout) keep real time: a skewed clock, not a faster one.
 */
const realNow = Date.now.bind(Date);
let offsetMs = 0;

/** Sets the offset (positive: ahead); 0 restores the real clock. */
export function setClockOffset(ms: number): void {
  offsetMs = ms;
  Date.now = ms === 0 ? realNow : () => realNow() + offsetMs;
}

export const clockOffset = (): number => offsetMs;
