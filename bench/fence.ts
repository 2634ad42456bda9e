import { schedulerConfig } from '../protocol/scheduler/config.js';
import { SINGLETON_SLOT as SLOT, singletonSimulation as singleton } from '../testnet/sim/majority-singleton.js';
import { percentile, round } from './stats.js';

/**
 * `npm run bench:fence`: the `majority` fence on the real SWIM machines (local preset, as
 * the testnet), per cluster size with the singleton's node cut off in the largest
 * minority. Per size, over SHOAL_FENCE_SEEDS seeds (default 200): the slack between the
 * cut-off copy stopping and the majority side's copy starting (negative: it ran twice),
 * and the SWIM messages per second while the singleton runs undisturbed, with and without
 * the census its node takes, side by side.
 */
const seeds = Number(process.env.SHOAL_FENCE_SEEDS ?? 200);

const largestMinority = (nodes: number): number => Math.floor((nodes - 1) / 2);

/** Milliseconds from the cut-off copy's stop to the other side's start. */
function slackMs(seed: number, nodes: number): number {
  const sim = singleton(seed, nodes, 'majority');
  const owner = [...sim.agent.runnersOf(SLOT)][0] as string;
  const others = sim.ids().filter((id) => id !== owner);
  const withOwner = largestMinority(nodes) - 1;
  sim.split([[owner, ...others.slice(0, withOwner)], others.slice(withOwner)]);
  const cutAtMs = sim.nowMs;
  let stoppedMs: number | undefined;
  let movedMs: number | undefined;
  for (let t = 50; t <= 30_000 && movedMs === undefined; t += 50) {
    sim.run(cutAtMs + t);
    const runners = sim.agent.runnersOf(SLOT);
    if (stoppedMs === undefined && !runners.has(owner)) stoppedMs = t;
    if ([...runners].some((n) => n !== owner)) movedMs = t;
  }
  if (stoppedMs === undefined || movedMs === undefined) throw new Error(`seed ${seed}, ${nodes} nodes: the singleton did not move within 30 s`);
  return movedMs - stoppedMs;
}

/** SWIM messages per second over 20 quiet seconds with the singleton placed. */
function messagesPerS(seed: number, nodes: number, partitionPolicy: 'majority' | 'available'): number {
  const sim = singleton(seed, nodes, partitionPolicy);
  const before = sim.membershipMessages as number;
  sim.run(sim.nowMs + 20_000);
  return ((sim.membershipMessages as number) - before) / 20;
}

const rows = [];
for (const nodes of [3, 5, 9, 15]) {
  const slacks = Array.from({ length: seeds }, (_, i) => slackMs(i + 1, nodes));
  const quiet = Array.from({ length: 10 }, (_, i) => [messagesPerS(i + 1, nodes, 'majority'), messagesPerS(i + 1, nodes, 'available')]);
  const withCensus = quiet.reduce((a, [m]) => a + (m as number), 0) / quiet.length;
  const without = quiet.reduce((a, [, m]) => a + (m as number), 0) / quiet.length;
  rows.push({
    nodes,
    cutOff: largestMinority(nodes),
    seeds,
    ranTwice: slacks.filter((s) => s <= 0).length,
    slackMs: { min: round(Math.min(...slacks), 0), p10: round(percentile(slacks, 10), 0), p50: round(percentile(slacks, 50), 0) },
    swimMessagesPerS: { withCensus: round(withCensus, 1), without: round(without, 1), ratio: round(withCensus / without, 2) },
  });
}
console.log(JSON.stringify({ preset: 'local', fenceMs: schedulerConfig.local().fenceMs, censusMs: schedulerConfig.local().censusMs, sizes: rows }, null, 2));
