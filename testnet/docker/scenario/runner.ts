import type Dockerode from 'dockerode';
import { setTimeout as delay } from 'node:timers/promises';
import { workloadInfo } from '../../../protocol/scheduler/from-document.js';
import type { Testnet } from '../testnet.js';
import { writeUntilAcknowledged } from './baseline.js';
import { checkAll, passed, type CheckResults } from './checker.js';
import { runClients, type Writer } from './clients.js';
import type { Fault } from './faults.js';
import { scenarioFigures, type ScenarioFigures } from './figures.js';
import type { ClientOp, FaultEvent, History } from './history.js';
import { takeSnapshot } from './observe.js';
import { Sampler } from './sampler.js';
import type { Snapshot } from './snapshot.js';
import type { Sample } from './timeline.js';
import { nameOf, poolKeys, workloadPool, workloadSpec, type WorkloadPool } from './workloads.js';

/** Clients write for this long before the fault, so the history holds writes from before it too. */
const LEAD_IN_MS = 3_000;

export interface ScenarioOptions {
  testnet: Testnet;
  docker: Dockerode;
  writer: Writer;
  fault: Fault;
  /** Names this scenario's workloads apart from every other scenario's: a DNS label. */
  prefix: string;
  seed: number;
  clients: number;
  /** How many workloads the clients scale, and how many they delete and apply again. */
  poolSize: number;
  /** Writes made before the scenario that it checks too: the suite's long-running workloads. */
  baseline: readonly ClientOp[];
  /** How long the cluster may take to settle, before the fault and after the heal. */
  boundMs: number;
}

/** When each phase began, host clock. */
export interface Phases {
  clientsStartMs: number;
  faultStartMs: number;
  healedMs: number;
  clientsStopMs: number;
  convergedMs: number | null;
  snapshotMs: number;
}

export interface ScenarioResult {
  fault: { name: string; kind: Fault['kind']; nodes: readonly string[]; holdMs: number };
  seed: number;
  boundMs: number;
  phases: Phases;
  history: History;
  samples: Sample[];
  snapshot: Snapshot;
  checks: CheckResults;
  /** Every check holds and the cluster converged within the bound. */
  passed: boolean;
  figures: ScenarioFigures;
}

/**
 * One scenario: its workloads applied and settled; clients writing to random nodes while
 * the fault is injected, held and healed; then the wait for convergence, a snapshot and
 * the checks. Its workloads are deleted at the end, so the next scenario starts clean.
 */
const RECHECK_MS = 2_000;
/**
 * Before a fault, the testnet settles from the last scenario's clean-up and the new
 * workloads: waited for, not judged (the bound after a heal is what is judged). On a
 * machine at a load of 15 the first one took over 60 s.
 */
const SETTLE_BEFORE_MS = 180_000;

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { testnet, docker, fault } = options;
  const history: History = { ops: [...options.baseline], faults: [] };
  const pool = workloadPool(options.prefix, options.poolSize);
  const sampler = new Sampler(testnet, docker);
  sampler.start();
  try {
    for (const key of poolKeys(pool)) history.ops.push(...(await writeUntilAcknowledged(testnet.nodes, options.writer, 'apply', key, workloadSpec(nameOf(key), 1))));
    if ((await sampler.settled(Date.now(), SETTLE_BEFORE_MS)) === null)
      throw new Error(`the testnet did not settle within ${SETTLE_BEFORE_MS / 1000} s before ${fault.name}: ${JSON.stringify(sampler.samples.at(-1))}`);
    const clientsStartMs = Date.now();
    const event = await faultUnderWrites(options, pool, history);
    const clientsStopMs = Date.now();
    const convergedMs = await sampler.settled(event.endMs, options.boundMs);
    let snapshot = await takeSnapshot(testnet, docker);
    // The checks hold "within the bound": a client's last write, acknowledged just before
    // the clients stopped, may still be taking effect (a slot scaled up seconds ago, not
    // yet started), so a failing snapshot is taken again until the bound has passed.
    while (!passed(checkAll(history, snapshot)) && Date.now() < event.endMs + options.boundMs) {
      await delay(RECHECK_MS);
      snapshot = await takeSnapshot(testnet, docker);
    }
    const phases: Phases = { clientsStartMs, faultStartMs: event.startMs, healedMs: event.endMs, clientsStopMs, convergedMs, snapshotMs: snapshot.atMs };
    return conclude(options, history, await sampler.stop(), snapshot, phases);
  } finally {
    await sampler.stop();
    await removeWorkloads(testnet, options.writer, poolKeys(pool));
  }
}

/** Clients write from a little before the fault until it has healed; their requests and the fault go into `history`. */
async function faultUnderWrites(options: ScenarioOptions, pool: WorkloadPool, history: History): Promise<FaultEvent> {
  const stop = new AbortController();
  const clients = runClients({ ...options.writer, nodes: options.testnet.nodes, pool, clients: options.clients, seed: options.seed }, (op) => history.ops.push(op), stop.signal);
  try {
    await delay(LEAD_IN_MS);
    const event = await injectAndHeal(options.fault, options.testnet);
    history.faults.push(event);
    return event;
  } finally {
    stop.abort();
    await clients;
  }
}

function conclude(options: ScenarioOptions, history: History, samples: Sample[], snapshot: Snapshot, phases: Phases): ScenarioResult {
  const { fault } = options;
  const checks = checkAll(history, snapshot, samples);
  const inputs = { history, samples, checks, fromMs: phases.clientsStartMs, healedMs: phases.healedMs, convergedMs: phases.convergedMs, majority: majorityWorkloads(snapshot) };
  return {
    fault: { name: fault.name, kind: fault.kind, nodes: fault.nodes, holdMs: fault.holdMs },
    seed: options.seed,
    boundMs: options.boundMs,
    phases,
    history,
    samples,
    snapshot,
    checks,
    passed: passed(checks) && phases.convergedMs !== null,
    figures: scenarioFigures(inputs),
  };
}

/** Best effort: a workload left behind keeps running beside the next scenario's, whose checks cover it like any other. */
async function removeWorkloads(testnet: Testnet, writer: Writer, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((key) => writeUntilAcknowledged(testnet.nodes, writer, 'delete', key, null).catch(() => undefined)));
}

/** Workloads under the majority policy, as the first node that answered holds them. */
function majorityWorkloads(snapshot: Snapshot): Set<string> {
  const workloads = snapshot.nodes.find((n) => n.view !== null)?.view?.workloads ?? [];
  return new Set(workloads.filter((w) => workloadInfo(w.key, w.fields).partitionPolicy === 'majority').map((w) => w.key));
}

/** The heal runs even when the injection failed, so a broken scenario leaves no fault behind; the first failure is the one reported. */
async function injectAndHeal(fault: Fault, testnet: Testnet): Promise<FaultEvent> {
  const startMs = Date.now();
  let failure: Error | undefined;
  try {
    await fault.inject(testnet);
    await delay(fault.holdMs);
  } catch (e) {
    failure = inStep(fault, 'injecting', e);
  }
  try {
    await fault.heal(testnet);
  } catch (e) {
    failure ??= inStep(fault, 'healing', e);
  }
  if (failure !== undefined) throw failure;
  return { name: fault.name, kind: fault.kind, nodes: [...fault.nodes], startMs, endMs: Date.now() };
}

const inStep = (fault: Fault, step: string, e: unknown): Error => new Error(`${fault.name}: ${step} failed: ${(e as Error).message ?? String(e)}`, { cause: e });
