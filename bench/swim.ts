import '../node/polyfill.js';
import { swimConfig } from '../protocol/swim/index.js';
import { idleNode } from './swim-real.js';
import { detection, falseDeadUnderLoss } from './swim-sim.js';

/**
 * `npm run bench:swim`: SWIM figures as JSON. Shoal's LAN preset runs beside the same
 * preset without suspicion verifiers (memberlist's rule: confirmations only from
 * members that happen to probe the suspect), in one run on one machine.
 * Pass --quick to skip N = 10,000. Needs the compiled CLI (the npm script builds it).
 */
const quick = process.argv.includes('--quick');
const sizes = quick ? [1000] : [1000, 10_000];
const lan = swimConfig.lan();
const memberlistRules = { ...lan, suspicionVerifiers: 0 };

/** Each figure goes to stderr as it is measured, so a long run shows progress. */
const measured = <T>(figure: T): T => {
  console.error(JSON.stringify(figure));
  return figure;
};

const figures = {
  machine: { cores: (await import('node:os')).cpus().length, node: process.version, date: new Date().toISOString().slice(0, 10) },
  simulated: sizes.flatMap((n) => [
    measured(detection(n, lan, 'shoal lan', 0.01, 10, 5 * 60_000)),
    measured(detection(n, memberlistRules, 'lan without verifiers (memberlist rule)', 0.01, 10, 5 * 60_000)),
  ]),
  // At 10% loss a probe fails with p ~ 0.8%, so N members raise ~N/125 false suspicions
  // a second, each gossiped to all N: the work grows with N squared. N = 1,000 takes
  // 2.5 minutes of wall clock for 10 virtual minutes; N = 10,000 would take hours.
  falseDeadAt10PercentLoss: [measured(falseDeadUnderLoss(1000, 0.1, 10 * 60_000))],
  real: measured(await idleNode()),
};
console.log(JSON.stringify(figures, null, 2));
