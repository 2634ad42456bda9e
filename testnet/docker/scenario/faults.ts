import Dockerode from 'dockerode';
import type { Testnet } from '../testnet.js';
import type { FaultKind } from './history.js';

/** A fault of the suite: what it does to the testnet, for how long, and how it ends. */
export interface Fault {
  name: string;
  kind: FaultKind;
  nodes: readonly string[];
  holdMs: number;
  inject(testnet: Testnet): Promise<void>;
  heal(testnet: Testnet): Promise<void>;
}

const each = async (nodes: readonly string[], act: (node: string) => Promise<void>): Promise<void> => {
  await Promise.all(nodes.map(act));
};

const SKEW_MS = 60_000;
/** A tenth of a core: a node on a host that other work crowds out (issue 19). */
const SLOW_CPUS = 0.1;

/**
 * `docker update --cpus` on a node's container; undefined gives it every core of the
 * engine's host again. The engine keeps no "unlimited" to go back to: `--cpus 0` leaves
 * the limit in place (measured, Docker 20.10), while as many CPUs as the host has is no
 * limit at all.
 */
async function limitCpus(testnet: Testnet, node: string, cpus: number | undefined): Promise<void> {
  const container = testnet.nodes.find((n) => n.name === node)?.container;
  if (container === undefined) throw new Error(`no node ${node} in testnet ${testnet.name}`);
  const docker = new Dockerode();
  const nanoCpus = Math.round((cpus ?? (await docker.info()).NCPU) * 1e9);
  await docker.getContainer(container).update({ NanoCpus: nanoCpus });
}
/** The compound fault's kill -9 lasts this long before the restart, still inside the partition. */
const COMPOUND_DOWN_MS = 5_000;

/**
 * The fault set on five nodes (`npm run bench:faults`). Holds are long enough for the
 * local SWIM preset to declare the unreachable nodes dead (about 3 s), for a majority
 * fence to run out (3 s) and for their slots to be placed again, so each heal has
 * duplicates to resolve; and no longer, since the suite runs in `npm test`. The kill comes last: a node
 * that fails to restart leaves the testnet unfit for the faults after it.
 */
export const FAULTS: readonly Fault[] = [
  {
    name: 'partition {1,2} | {3,4,5}',
    kind: 'partition',
    nodes: ['node-1', 'node-2', 'node-3', 'node-4', 'node-5'],
    holdMs: 20_000,
    inject: (t) =>
      t.partition([
        ['node-1', 'node-2'],
        ['node-3', 'node-4', 'node-5'],
      ]),
    heal: (t) => t.heal(),
  },
  {
    name: 'pause node-3, then unpause',
    kind: 'pause',
    nodes: ['node-3'],
    holdMs: 10_000,
    inject: (t) => t.pause('node-3'),
    heal: (t) => t.unpause('node-3'),
  },
  {
    name: 'clock of node-4 60 s ahead, then back',
    kind: 'skew',
    nodes: ['node-4'],
    holdMs: 10_000,
    inject: (t) => t.skew('node-4', SKEW_MS),
    heal: (t) => t.skew('node-4', 0),
  },
  {
    name: 'clock of node-4 60 s behind, then back',
    kind: 'skew',
    nodes: ['node-4'],
    holdMs: 10_000,
    inject: (t) => t.skew('node-4', -SKEW_MS),
    heal: (t) => t.skew('node-4', 0),
  },
  {
    name: '10% packet loss on node-1 and node-2, then none',
    kind: 'loss',
    nodes: ['node-1', 'node-2'],
    holdMs: 12_000,
    inject: (t) => each(['node-1', 'node-2'], (n) => t.loss(n, 10)),
    heal: (t) => each(['node-1', 'node-2'], (n) => t.loss(n, 0)),
  },
  {
    // Issue 19: slow is not dead. On a tenth of a core the node answers late, its loop
    // held up for hundreds of ms at a time, but it answers: no node may hold it (or, with
    // its judgement slowed, any other) dead, and no slot may move off it.
    name: 'node-3 at a tenth of a core, then unlimited',
    kind: 'slow',
    nodes: ['node-3'],
    holdMs: 20_000,
    inject: (t) => limitCpus(t, 'node-3', SLOW_CPUS),
    heal: (t) => limitCpus(t, 'node-3', undefined),
  },
  {
    // Issue 20: what an operator meets at once. The clients apply, scale and delete through
    // both sides; node-4 restarts on the majority side while its seed (node-1) is on the
    // other, so it must rejoin through the members it knew; node-2's clock runs 30 s ahead.
    name: 'partition {1,2} | {3,4,5}, kill -9 and restart of node-4 inside it, clock of node-2 30 s ahead',
    kind: 'compound',
    nodes: ['node-1', 'node-2', 'node-3', 'node-4', 'node-5'],
    holdMs: 20_000,
    inject: async (t) => {
      await t.partition([
        ['node-1', 'node-2'],
        ['node-3', 'node-4', 'node-5'],
      ]);
      await t.skew('node-2', 30_000);
      await t.kill('node-4');
      await new Promise((resolve) => setTimeout(resolve, COMPOUND_DOWN_MS));
      await t.restart('node-4');
    },
    heal: async (t) => {
      await t.heal();
      await t.skew('node-2', 0);
    },
  },
  {
    name: 'kill -9 of node-2 and node-5, then restart',
    kind: 'kill',
    nodes: ['node-2', 'node-5'],
    holdMs: 12_000,
    inject: (t) => each(['node-2', 'node-5'], (n) => t.kill(n)),
    heal: (t) => each(['node-2', 'node-5'], (n) => t.restart(n)),
  },
];

/**
 * What `npm test` runs: the set but the plain partition, since the compound fault holds
 * the same partition and more, and but the clock 60 s ahead, since the compound fault
 * sets a clock ahead too (30 s, inside the HLC's bound) and the skew 60 s behind keeps the
 * other direction (a write stamped at the bound is the CRDT tests' and the simulator's).
 * The slow node stays: nothing else starves a node. The suite stays near 4-5 minutes on
 * two cores; `npm run bench:faults` runs every fault.
 */
export const CI_FAULTS: readonly Fault[] = FAULTS.filter((f) => f.kind !== 'partition' && f.name !== 'clock of node-4 60 s ahead, then back');
