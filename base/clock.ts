/**
 * The wall clock a node reads: what its hybrid logical clock stamps, what its SWIM
 * machine, scheduler and agent compare times against, what the API's signature window
 * is judged by. Milliseconds since the Unix epoch, as Date.now gives them; it may step
 * (NTP, an operator, the testnet's skew fault), so durations that must not jump read a
 * monotonic clock instead.
 *
 * Only the reading is the clock's: timers (setTimeout, setInterval) keep real time, so
 * a clock set ahead is a wrong clock, not a faster one.
 */
export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch. */
  nowMs(): number;
}
